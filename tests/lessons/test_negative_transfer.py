"""Lesson 11's helpers on small arrays: LogME against a direct computation, the gap, Spearman, the where-task and grid pooling."""

import numpy as np
import pytest

from tl_course.lessons import negative_transfer as nt


def _slow_evidence(features, target, alpha, beta):
    """The evidence per example with the full dim x dim matrices, and one fixed-point update of (alpha, beta)."""
    n, dim = features.shape
    a = alpha * np.eye(dim) + beta * features.T @ features
    m = beta * np.linalg.solve(a, features.T @ target)
    residual = np.sum((features @ m - target) ** 2)
    sign, log_det = np.linalg.slogdet(a)
    assert sign > 0
    evidence = (n / 2 * np.log(beta) + dim / 2 * np.log(alpha) - n / 2 * np.log(2 * np.pi)
                - beta / 2 * residual - alpha / 2 * m @ m - log_det / 2) / n
    gamma = dim - alpha * np.trace(np.linalg.inv(a))  # = sum beta s_i / (alpha + beta s_i), another route
    return evidence, gamma / (m @ m), (n - gamma) / residual


@pytest.mark.parametrize("n, dim", [(40, 6), (8, 30)], ids=["n>dim", "n<dim"])
def test_logme_evidence_is_the_evidence_at_a_maximising_fixed_point(n, dim):
    rng = np.random.default_rng(0)  # a draw whose maximum is inside: see the next test for one at alpha = inf
    features = rng.normal(size=(n, dim))
    target = (features[:, 0] + 0.5 * rng.normal(size=n) > 0).astype(float)
    evidence, alpha, beta = nt.logme_evidence(features, target)
    slow, next_alpha, next_beta = _slow_evidence(features, target, alpha, beta)
    assert evidence == pytest.approx(slow, rel=1e-9)
    assert (next_alpha, next_beta) == pytest.approx((alpha, beta), rel=1e-3), "not a fixed point"
    for a, b in [(2 * alpha, beta), (alpha / 2, beta), (alpha, 2 * beta), (alpha, beta / 2)]:
        assert _slow_evidence(features, target, a, b)[0] < evidence, "the fixed point is not the maximum"


def test_logme_evidence_of_a_target_the_features_miss_is_that_of_noise_alone():
    rng = np.random.default_rng(2)
    features = rng.normal(size=(8, 30))
    target = (features[:, 0] + 0.5 * rng.normal(size=8) > 0).astype(float)
    evidence, alpha, beta = nt.logme_evidence(features, target)
    # alpha = inf forces w = 0: target ~ N(0, 1 / beta), best at beta = n / ||target||^2.
    noise_only = 0.5 * np.log(8 / (target @ target)) - 0.5 * np.log(2 * np.pi) - 0.5
    assert alpha > 1e5 and evidence == pytest.approx(noise_only, abs=1e-4)
    assert evidence == pytest.approx(_slow_evidence(features, target, alpha, beta)[0], rel=1e-9)


def test_logme_averages_one_vs_rest_evidence_over_classes(blobs):
    x, y = blobs(10, seed=1, classes=3)
    per_class = [nt.logme_evidence(x, (y == c).astype(float))[0] for c in range(3)]
    assert nt.logme(x, y) == pytest.approx(np.mean(per_class), rel=1e-12)


def test_logme_ranks_informative_features_above_noise(blobs):
    x, y = blobs(20, seed=2, dim=8, classes=4)
    noise = np.random.default_rng(3).normal(0, x.std(), x.shape)
    assert nt.logme(x, y) > nt.logme(noise, y) + 0.1
    few = np.r_[0:3, 20:23, 40:43, 60:63]  # 12 examples in 8 dimensions: n close to dim
    assert nt.logme(x[few], y[few]) > nt.logme(noise[few], y[few])


def test_logme_says_what_is_wrong():
    with pytest.raises(ValueError, match="one label per example; received 3 examples and 2 labels"):
        nt.logme(np.ones((3, 2)), [0, 1])
    with pytest.raises(ValueError, match=r"shape \(n >= 2, dim >= 1\); received shape \(3,\)"):
        nt.logme(np.ones(3), [0, 1, 1])
    with pytest.raises(ValueError, match="finite features"):
        nt.logme(np.array([[0.0], [np.nan]]), [0, 1])
    with pytest.raises(ValueError, match="finite 1-D target"):
        nt.logme_evidence(np.ones((2, 2)), np.ones((2, 1)))


def test_negative_transfer_gap_is_a_paired_t_interval():
    with_source, without = np.array([0.30, 0.34, 0.31, 0.36, 0.33]), np.array([0.26, 0.28, 0.26, 0.29, 0.29])
    gap = nt.negative_transfer_gap(with_source, without)
    diffs = with_source - without
    half = 2.776 * diffs.std(ddof=1) / np.sqrt(5)  # t quantile 0.975 at 4 degrees of freedom, from a table
    assert gap.per_seed == pytest.approx(tuple(diffs)) and gap.mean == pytest.approx(diffs.mean())
    assert (gap.low, gap.high) == pytest.approx((diffs.mean() - half, diffs.mean() + half), rel=1e-3)
    assert gap.low < gap.mean < gap.high and gap.verdict == "negative transfer"
    assert nt.negative_transfer_gap(without, with_source).verdict == "positive transfer"
    assert nt.negative_transfer_gap([0.30, 0.25, 0.33], [0.28, 0.29, 0.30]).verdict == "no clear effect"
    assert str(nt.Gap(0.052, 0.010, 0.094, (0.04, 0.064))) == "+0.052 [+0.010, +0.094]"
    assert str(nt.Gap(-0.05, -0.1, 0.0, ())) == "-0.050 [-0.100, +0.000]"


def test_negative_transfer_gap_says_what_is_wrong():
    with pytest.raises(ValueError, match=r"at least 2 seeds; received shapes \(3,\) and \(2,\)"):
        nt.negative_transfer_gap([0.1, 0.2, 0.3], [0.1, 0.2])
    with pytest.raises(ValueError, match="at least 2 seeds"):
        nt.negative_transfer_gap([0.1], [0.2])
    with pytest.raises(ValueError, match="finite"):
        nt.negative_transfer_gap([0.1, np.nan], [0.2, 0.2])


def test_spearman_compares_rankings():
    scores = np.array([-1.2, -0.9, -0.4, 0.3])
    assert nt.spearman(scores, scores**3 + 5) == pytest.approx(1.0)
    assert nt.spearman(scores, -scores) == pytest.approx(-1.0)
    assert nt.spearman(scores, [0.1, 0.2, 0.4, 0.3]) == pytest.approx(1 - 6 * 2 / (4 * 15)), "one swap: sum d^2 = 2"
    assert isinstance(nt.spearman(scores, -scores), float)
    with pytest.raises(ValueError, match=r"at least 3 models; received shapes \(4,\) and \(3,\)"):
        nt.spearman(scores, [1, 2, 3])
    with pytest.raises(ValueError, match="at least 3 models"):
        nt.spearman([1, 2], [2, 1])
    with pytest.raises(ValueError, match="constant"):
        nt.spearman(scores, [0.5] * 4)


def test_paste_in_quadrants_puts_each_photo_in_its_quadrant():
    photos = np.full((40, 4, 4, 3), 200.0)
    backgrounds = np.full((40, 16, 16, 3), 100.0)
    canvases, quadrants = nt.paste_in_quadrants(photos, backgrounds, 4, seed=3, jitter=1)
    assert canvases.shape == (40, 16, 16, 3) and set(quadrants) == {0, 1, 2, 3}
    for canvas, q in zip(canvases, quadrants):
        rows, cols = np.nonzero(canvas[..., 0] == 200.0)
        assert len(rows) == 16, "the whole photo is pasted"
        assert (rows.mean() >= 8) == (q >= 2) and (cols.mean() >= 8) == (q % 2 == 1)
        assert np.all(canvas[canvas[..., 0] != 200.0] == 50.0), "the background is dimmed by half"
    again, same = nt.paste_in_quadrants(photos, backgrounds, 4, seed=3, jitter=1)
    assert np.array_equal(again, canvases) and np.array_equal(same, quadrants), "a seed draws the same canvases"


def test_paste_in_quadrants_says_what_is_wrong():
    with pytest.raises(ValueError, match=r"0 < patch <= 8; received \(10, 10\)"):
        nt.paste_in_quadrants(np.zeros((2, 10, 10, 3)), np.zeros((2, 16, 16, 3)), 10)
    with pytest.raises(ValueError, match="Expected photos"):
        nt.paste_in_quadrants(np.zeros((2, 4, 4, 3)), np.zeros((3, 16, 16, 3)), 4)


def test_grid_pool_averages_cells():
    maps = np.arange(2 * 3 * 3 * 2, dtype=float).reshape(2, 3, 3, 2)
    assert np.allclose(nt.grid_pool(maps, 1), maps.mean(axis=(1, 2)))
    assert np.allclose(nt.grid_pool(maps, 3), maps.reshape(2, -1)), "the finest grid keeps every position"
    two = nt.grid_pool(maps, 2)
    assert two.shape == (2, 8) and np.allclose(two[:, :2], maps[:, :2, :2].mean(axis=(1, 2)))
    with pytest.raises(ValueError, match="a grid of 1..min"):
        nt.grid_pool(maps, 4)
