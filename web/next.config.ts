import type { NextConfig } from 'next';

const config: NextConfig = {
  // Builds of parallel test runs (and a developer's own build) must not share one folder.
  distDir: process.env.CONSOLE_DIST_DIR || '.next',
  // The engine core is TypeScript source in the workspace: Next compiles it like the app's own.
  transpilePackages: ['@flagship/evaluator'],
  // `npm run typecheck` and `npm run lint` check this code with the rest of the repository.
  typescript: { ignoreBuildErrors: true },
  poweredByHeader: false,
  reactStrictMode: true,
};

export default config;
