#!/usr/bin/python3
"""Tests of bench/soak/soak_stats.py (run by scripts/test.sh's soak phase)."""

import os
import random
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import soak_stats  # noqa: E402

MIB = 1 << 20


class RssSlopeTest(unittest.TestCase):

  def test_a_straight_line_gives_its_slope_and_no_error(self):
    # 2 MiB per minute, one sample per second for 8 minutes.
    pts = [(t, 1, 50 * MIB + 2 * MIB * t / 60) for t in range(480)]
    fit = soak_stats.rss_slope(pts)
    self.assertAlmostEqual(fit["slope"], 2 * MIB, delta=1)
    self.assertLess(fit["se"], 1)

  def test_lives_share_the_slope_not_the_intercept(self):
    # A restart drops RSS by 40 MiB; both lives grow 1 MiB/min.
    pts = [(t, 1, 80 * MIB + MIB * t / 60) for t in range(0, 240)]
    pts += [(t, 2, 40 * MIB + MIB * t / 60) for t in range(300, 480)]
    fit = soak_stats.rss_slope(pts)
    self.assertAlmostEqual(fit["slope"], MIB, delta=1)
    # One intercept for both would see the drop as a steep fall.
    one = soak_stats.rss_slope([(t, 1, y) for t, _, y in pts])
    self.assertLess(one["slope"], -MIB)

  def test_flat_noise_is_within_three_errors(self):
    rng = random.Random(7)
    within = 0
    for _ in range(50):
      pts = [(t, 1, 60 * MIB + rng.gauss(0, 256 * 1024)) for t in range(480)]
      fit = soak_stats.rss_slope(pts)
      within += abs(fit["slope"]) <= 3 * fit["se"]
    self.assertGreaterEqual(within, 48)

  def test_steps_widen_the_error(self):
    # RSS that moves in steps: neighbouring residuals are alike, so the
    # adjusted error is wider than the plain one.
    rng = random.Random(3)
    level, pts = 60 * MIB, []
    for t in range(480):
      if rng.random() < 0.02:
        level += rng.choice([-1, 1]) * 2 * MIB
      pts.append((t, 1, level))
    fit = soak_stats.rss_slope(pts)
    self.assertGreater(fit["r1"], 0.5)
    self.assertGreater(fit["se"], 2 * fit["se_plain"])

  def test_too_few_samples(self):
    self.assertIsNone(soak_stats.rss_slope([(0, 1, 1), (1, 1, 2), (2, 1, 3)]))
    self.assertIsNone(soak_stats.rss_slope([]))


class PercentileTest(unittest.TestCase):

  def test_nearest_rank(self):
    v = list(range(1, 101))
    self.assertEqual(soak_stats.percentile(v, 0.5), 50)
    self.assertEqual(soak_stats.percentile(v, 0.99), 99)
    self.assertEqual(soak_stats.percentile(v, 1.0), 100)
    self.assertEqual(soak_stats.percentile([], 0.5), 0.0)


if __name__ == "__main__":
  unittest.main()
