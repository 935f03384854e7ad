"""Priors on the log-hyperparameters: gradient, asymmetric noise prior, the box."""

from __future__ import annotations

import numpy as np

from hpo_core.arrays.gp.prior import Prior


def test_logpdf_gradient_matches_finite_differences_on_both_sides_of_the_centre():
    prior = Prior(3)
    for shift in (-2.0, 0.7):
        theta = prior.mean + shift
        _, g = prior.logpdf(theta)
        h = 1e-6
        for i in range(len(theta)):
            e = np.zeros_like(theta)
            e[i] = h
            fd = (prior.logpdf(theta + e)[0] - prior.logpdf(theta - e)[0]) / (2 * h)
            assert abs(fd - g[i]) < 1e-6 * (1 + abs(g[i]))
    # below its centre the noise prior is wider: the same distance costs less
    lo = prior.mean.copy()
    hi = prior.mean.copy()
    lo[-1] -= 1.0
    hi[-1] += 1.0
    assert prior.logpdf(lo)[0] > prior.logpdf(hi)[0]


def test_mode_and_samples_stay_in_the_box():
    prior = Prior(5, noise_floor=1e-4)
    lo, hi = prior.bounds[:, 0], prior.bounds[:, 1]
    assert np.all(lo < hi) and lo[-1] == np.log(1e-4)
    assert np.all((lo <= prior.mode()) & (prior.mode() <= hi))
    rng = np.random.default_rng(0)
    S = np.array([prior.sample(rng) for _ in range(200)])
    assert np.all((lo <= S) & (S <= hi))
