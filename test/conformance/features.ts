import type { Feature } from './case.js';
import type { Context } from './context.js';

/**
 * Which endpoints the deployment serves, asked from outside: OPTIONS is answered at B3, before
 * any resource lookup, so a served route says 200 (or 401/403 behind access control, 405 where OPTIONS is not allowed) even for a
 * repository that does not exist yet, while an unknown route is a 404 (or 501 from a proxy).
 */
const PROBES: Readonly<Record<Exclude<Feature, 'token'>, (ctx: Context) => string>> = {
  compare: (ctx) => ctx.repoPath('/compare/main...main'),
  merges: (ctx) => ctx.repoPath('/merges'),
  archives: (ctx) => ctx.repoPath('/archive/main.tar.gz'),
  settings: (ctx) => ctx.repoPath('/settings'),
  'admin-tokens': () => '/admin/tokens',
};

export async function probeFeatures(ctx: Context): Promise<void> {
  ctx.features.set('token', ctx.hasToken);
  await Promise.all(
    Object.entries(PROBES).map(async ([feature, target]) => {
      const ex = await ctx.send({ method: 'OPTIONS', target: target(ctx) });
      ctx.features.set(feature as Feature, ex.status !== 0 && ex.status !== 404 && ex.status !== 501);
    }),
  );
}
