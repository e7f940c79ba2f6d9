import type { NextConfig } from 'next';

const config: NextConfig = {
  // Builds of parallel test runs (and a developer's own build) must not share one folder.
  distDir: process.env.CONSOLE_DIST_DIR || '.next',
  // The engine core is TypeScript source in the workspace: Next compiles it like the app's own.
  transpilePackages: ['@flagship/evaluator'],
  // `npm run typecheck` and `npm run lint` check this code with the rest of the repository.
  typescript: { ignoreBuildErrors: true },
  poweredByHeader: false,
  // Imports (flags-as-code) go through a server action; the admin API takes up to 10 MiB, the
  // console refuses more itself, and these limits leave room for the form's encoding.
  experimental: { serverActions: { bodySizeLimit: '11mb' }, proxyClientMaxBodySize: '11mb' },
  reactStrictMode: true,
};

export default config;
