// Packages that ship no type declarations; used only by scripts and benchmarks.
declare module 'madge';
