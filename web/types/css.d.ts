// Stylesheets are imported for their side effect (Next bundles them); they export nothing.
declare module '*.css';
