/**
 * The index part of the report upgrade 1 → 2 (parse.ts UPGRADES[1]; issue 11). A version-1 report
 * has PSI only, so the upgrade gives it exactly that in the version-2 shape: `indices.psi` from
 * each layer's psi/summary, `trends.psi` from each pass's depthTrend, `indexAccuracy.psi` from
 * psiAccuracy, `controls.byIndex.psi` from controls, `settings.indices` ['psi']. No diagnostics
 * (they need the responses, which the report does not hold): readers treat them as optional.
 * Idempotent: a field that is already there is kept.
 */
type Json = Record<string, unknown>;

function isRecord(x: unknown): x is Json {
  return typeof x === 'object' && x !== null && !Array.isArray(x);
}

function upgradeLayer(l: unknown): unknown {
  if (!isRecord(l) || isRecord(l.indices) || !Array.isArray(l.psi)) return l;
  return { ...l, indices: { psi: { axis: 'category', values: l.psi, summary: l.summary, shifted: false } } };
}

function upgradePass(p: unknown): unknown {
  if (!isRecord(p)) return p;
  const layers = Array.isArray(p.layers) ? p.layers.map(upgradeLayer) : p.layers;
  return { ...p, layers, ...(isRecord(p.trends) || !isRecord(p.depthTrend) ? {} : { trends: { psi: p.depthTrend } }) };
}

export function withPsiIndex<R extends Json>(r: R): R {
  const out: Json = { ...r };
  if (Array.isArray(r.passes)) out.passes = r.passes.map(upgradePass);
  if (isRecord(r.settings) && !Array.isArray(r.settings.indices)) out.settings = { ...r.settings, indices: ['psi'] };
  const pa = r.psiAccuracy;
  if (isRecord(pa) && !isRecord(r.indexAccuracy)) out.indexAccuracy = { psi: { method: pa.method, perLayer: pa.perLayer, trend: pa.trend } };
  const c = r.controls;
  if (isRecord(c) && !isRecord(c.byIndex)) {
    out.controls = {
      ...c,
      byIndex: { psi: { medians: c.medians, trends: c.trends, riseSurvives: c.riseSurvives, ...(c.permutedSpread ? { permutedSpread: c.permutedSpread } : {}) } },
    };
  }
  return out as R;
}
