"""The soak's RSS trend: a least-squares slope and how much of it is noise.

rss_slope(samples) fits RSS = a_life + b * t over (t_seconds, life, bytes)
samples: one slope b for the whole series, one intercept per process life (a
replica restarted mid-run starts a new life with a fresh heap; its two lives
share the slope). Returns the slope in bytes per minute with its standard
error, the ordinary one inflated for the residuals' lag-1 autocorrelation
(RSS moves in steps, so neighbouring seconds are not independent samples:
n_eff = n (1 - r) / (1 + r), the standard error grows by sqrt((1 + r) /
(1 - r))). Pure functions.
"""

import math


def rss_slope(samples):
  """samples: [(t_seconds, life, rss_bytes)]. Returns a dict: slope (bytes
  per minute), se (autocorrelation-adjusted standard error, bytes per
  minute), se_plain, r1 (lag-1 autocorrelation of the residuals), n, and
  growth (last fitted minus first fitted value of the longest life, bytes);
  None with fewer than 3 samples more than parameters."""
  lives = sorted({life for _, life, _ in samples})
  n = len(samples)
  if n < len(lives) + 4:
    return None
  by_life = {life: [(t / 60.0, y) for t, lf, y in samples if lf == life]
             for life in lives}
  means = {}
  sxx = sxy = 0.0
  for life, pts in by_life.items():
    mt = sum(t for t, _ in pts) / len(pts)
    my = sum(y for _, y in pts) / len(pts)
    means[life] = (mt, my)
    sxx += sum((t - mt) ** 2 for t, _ in pts)
    sxy += sum((t - mt) * (y - my) for t, y in pts)
  if sxx <= 0:
    return None
  b = sxy / sxx
  resid = []  # in time order within each life
  for life, pts in by_life.items():
    mt, my = means[life]
    resid.extend(y - my - b * (t - mt) for t, y in sorted(pts))
  dof = n - len(lives) - 1
  s2 = sum(e * e for e in resid) / dof
  se_plain = math.sqrt(s2 / sxx)
  den = sum(e * e for e in resid)
  r1 = 0.0
  if den > 0:
    r1 = sum(resid[i] * resid[i - 1] for i in range(1, len(resid))) / den
  rc = min(max(r1, 0.0), 0.98)
  se = se_plain * math.sqrt((1 + rc) / (1 - rc))
  longest = max(by_life.values(), key=len)
  span = max(t for t, _ in longest) - min(t for t, _ in longest)
  return {"slope": b, "se": se, "se_plain": se_plain, "r1": r1, "n": n,
          "growth": b * span}


def percentile(values, q):
  """The q-quantile (0..1) of `values`, nearest rank."""
  v = sorted(values)
  if not v:
    return 0.0
  return v[min(len(v) - 1, max(0, math.ceil(q * len(v)) - 1))]
