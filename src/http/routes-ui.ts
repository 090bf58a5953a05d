import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import fastifyStatic from '@fastify/static';
import type { FastifyInstance } from 'fastify';

/** Where the build puts the page (web/, built by scripts/build-web.mjs): dist/web, beside dist/src. */
export const WEB_ROOT = fileURLToPath(new URL('../../web/', import.meta.url));

/**
 * The page's own rules: everything from vmapd itself, nothing inline but
 * the style attributes the charting library sets.
 */
const PAGE_POLICY = "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'";

/**
 * Serves the live map: `GET /` and its files under /assets/, built into
 * WEB_ROOT. Open to all, like any page: the data it reads follows the read
 * rules (a protected vmapd asks the page for a token). Only the files the
 * build made are routes: any other path stays a 404 of vmapd's own.
 */
export async function uiRoutes(app: FastifyInstance): Promise<void> {
  if (!existsSync(WEB_ROOT)) throw new Error(`the page is not built: ${WEB_ROOT} is missing (npm run build makes it)`);
  await app.register(fastifyStatic, {
    root: WEB_ROOT,
    wildcard: false,
    index: ['index.html'],
    // The page reads fresh data itself; its files change with each build.
    cacheControl: false,
    setHeaders: (res, path) => {
      res.header('cache-control', 'no-cache');
      if (path.endsWith('.html')) res.header('content-security-policy', PAGE_POLICY);
    },
  });
}
