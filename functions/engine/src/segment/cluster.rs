//! k-means clustering of purchasing customers, choice of k, and segment ids that stay stable from
//! one nightly run to the next.

use linfa::DatasetBase;
use linfa::traits::Fit;
use linfa_clustering::{KMeans, KMeansInit};
use linfa_nn::distance::Distance;
use ndarray::{Array2, ArrayView, ArrayView2, Axis, Dimension, Zip};
use rand_xoshiro::Xoshiro256Plus;
use rand_xoshiro::rand_core::SeedableRng;

use super::features::Behaviour;
use super::profile;
use super::{ModelState, Previous, SegmentError, SegmentParams, SegmentState};

pub(super) const N_FEATURES: usize = 6;
pub(super) const FEATURE_NAMES: [&str; N_FEATURES] = [
    "log1p_recency_days",
    "log1p_frequency",
    "log1p_monetary",
    "log1p_avg_order_value",
    "return_rate",
    "multi_item_share",
];
/// Index of the monetary feature, used to order fresh segment ids.
const MONETARY: usize = 2;
pub(super) const K_MAX: usize = 10;
pub(super) const SILHOUETTE_SAMPLE: usize = 2000;
/// Lloyd iterations per initialisation. linfa's default (300) is far more than these six
/// well-scaled features need, and each iteration is a full pass over the sample.
const MAX_ITERATIONS: u64 = 100;
/// A start has converged when its centroids moved less than this in one iteration (linfa: the
/// Euclidean norm of the change of all centroids). scikit-learn's default stops at a squared
/// shift of 1e-4 × the features' mean variance, which on these z-scored features is a shift of
/// 1e-2. linfa's 1e-4 asked for ~100× less, and the last of those iterations (half of the fit's
/// time) lowered the inertia by nothing measurable (BENCHMARKS.md, "Update (2026-11-25, 05:55
/// UTC)").
const TOLERANCE: f64 = 1e-2;

pub(super) fn transform(b: &Behaviour) -> [f64; N_FEATURES] {
    [
        b.recency_days.max(0.0).ln_1p(),
        f64::from(b.frequency).ln_1p(),
        b.monetary.max(0.0).ln_1p(),
        b.avg_order_value.max(0.0).ln_1p(),
        b.return_rate.clamp(0.0, 1.0),
        b.multi_item_share,
    ]
}

/// z-score scaling fitted on all purchasing customers.
#[derive(Clone, Debug)]
pub(super) struct Scaler {
    mean: [f64; N_FEATURES],
    std: [f64; N_FEATURES],
}

impl Scaler {
    fn fit(rows: &[[f64; N_FEATURES]]) -> Scaler {
        let n = rows.len().max(1) as f64;
        let mut mean = [0.0; N_FEATURES];
        let mut std = [0.0; N_FEATURES];
        for j in 0..N_FEATURES {
            mean[j] = rows.iter().map(|r| r[j]).sum::<f64>() / n;
            let var = rows.iter().map(|r| (r[j] - mean[j]).powi(2)).sum::<f64>() / n;
            // A constant feature (e.g. nobody returns anything) would divide by zero; leaving it
            // unscaled makes it a constant 0 that no longer influences distances.
            std[j] = if var.sqrt() > 1e-9 { var.sqrt() } else { 1.0 };
        }
        Scaler { mean, std }
    }

    fn scale(&self, row: &[f64]) -> [f64; N_FEATURES] {
        std::array::from_fn(|j| (row[j] - self.mean[j]) / self.std[j])
    }

    fn unscale(&self, row: &[f64]) -> [f64; N_FEATURES] {
        std::array::from_fn(|j| row[j] * self.std[j] + self.mean[j])
    }
}

/// How k was decided.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum KChoice {
    Given,
    /// The best silhouette among the k whose segments all reach the minimum group size.
    Silhouette,
    /// No k tried kept every segment at the minimum group size: the one whose smallest segment
    /// is largest.
    SmallestSegment,
    Previous,
}

impl KChoice {
    pub(super) fn as_str(self) -> &'static str {
        match self {
            KChoice::Given => "given",
            KChoice::Silhouette => "silhouette",
            KChoice::SmallestSegment => "smallest_segment",
            KChoice::Previous => "previous",
        }
    }
}

/// The largest k automatic choice tries on `n` purchasers: segments under the minimum group size
/// are published without figures, so a k above n / min_group_size can only produce segments that
/// say nothing (k = 10 on 22 purchasers gave ten withheld segments with numbered names). At least
/// 2 while there are the 2 × 2 purchasers a run needs; at most [`K_MAX`] and n / 2.
pub(super) fn auto_k_max(n: usize, min_group_size: usize) -> usize {
    K_MAX.min(n / 2).min((n / min_group_size.max(1)).max(2))
}

/// One k tried by the automatic choice.
struct Candidate {
    k: usize,
    silhouette: Option<f64>,
    /// Customers in the smallest cluster, over all purchasers (not just the samples).
    smallest: usize,
    centroids: Array2<f64>,
}

impl Candidate {
    /// Whether `self` is a strictly better choice than `other`: first every segment at the
    /// minimum group size, then (if neither manages) the larger smallest segment, then the
    /// higher silhouette (a k without one comes last). Strictly: on ties the smaller k, tried
    /// first, stays.
    fn beats(&self, other: &Candidate, min_group_size: usize) -> bool {
        let ok = |c: &Candidate| c.smallest >= min_group_size;
        if ok(self) != ok(other) {
            return ok(self);
        }
        if !ok(self) && self.smallest != other.smallest {
            return self.smallest > other.smallest;
        }
        match (self.silhouette, other.silhouette) {
            (Some(a), Some(b)) => a > b,
            (a, b) => a.is_some() && b.is_none(),
        }
    }
}

/// What happened to the previous run's state.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) enum PreviousUse {
    None,
    /// Same k: k-means started from the previous centroids, ids and names kept per cluster.
    Continued,
    /// Different k: clusters matched to previous ones by nearest centroid.
    Matched,
    Ignored(String),
}

#[derive(Clone, Debug)]
pub(super) struct Cluster {
    pub id: u32,
    /// Carried over from the previous run; new clusters, and those the previous run saved without
    /// a name (only ever published under a placeholder), get a name from their profile later.
    pub kept_name: Option<String>,
    /// In the transformed, unscaled feature space.
    pub centroid: [f64; N_FEATURES],
}

#[derive(Clone, Debug)]
pub(super) struct Clustering {
    pub k: usize,
    pub choice: KChoice,
    pub previous: PreviousUse,
    /// (k, mean silhouette) for every k tried when k was chosen automatically.
    pub silhouette_by_k: Vec<(usize, Option<f64>)>,
    /// (k, customers in the smallest cluster) for every k tried when k was chosen automatically.
    pub smallest_by_k: Vec<(usize, usize)>,
    /// Mean silhouette of the final model on the silhouette sample.
    pub silhouette: Option<f64>,
    /// Sum of squared distances (scaled space) of every customer to its centroid.
    pub inertia: f64,
    pub fit_sample: usize,
    pub silhouette_sample: usize,
    /// Sorted by id.
    pub clusters: Vec<Cluster>,
    /// Per input row: index into `clusters`.
    pub labels: Vec<usize>,
}

fn sq_dist(a: &[f64], b: &[f64]) -> f64 {
    // The features' own width, unrolled: summed left to right as the loop below (and linfa) sum.
    const _: () = assert!(N_FEATURES == 6, "the unrolled sum names six terms");
    if let (Ok(a), Ok(b)) = (
        <&[f64; N_FEATURES]>::try_from(a),
        <&[f64; N_FEATURES]>::try_from(b),
    ) {
        let d = |i: usize| (a[i] - b[i]) * (a[i] - b[i]);
        return d(0) + d(1) + d(2) + d(3) + d(4) + d(5);
    }
    a.iter().zip(b).map(|(x, y)| (x - y) * (x - y)).sum()
}

/// linfa's Euclidean distance, summed in the same order (so the same fit to the bit), over plain
/// slices: its own goes through `ndarray-stats`' shape checks and a `Zip` per pair, which made
/// a quarter of a segment run's instructions (each Lloyd iteration measures every sampled
/// customer against every centroid).
#[derive(Debug, Clone, Copy)]
struct Euclidean;

impl Distance<f64> for Euclidean {
    fn distance<D: Dimension>(&self, a: ArrayView<f64, D>, b: ArrayView<f64, D>) -> f64 {
        self.rdistance(a, b).sqrt()
    }

    #[inline]
    fn rdistance<D: Dimension>(&self, a: ArrayView<f64, D>, b: ArrayView<f64, D>) -> f64 {
        match (a.as_slice(), b.as_slice()) {
            (Some(a), Some(b)) if a.len() == b.len() => sq_dist(a, b),
            _ => Zip::from(&a)
                .and(&b)
                .fold(0.0, |sum, x, y| sum + (x - y) * (x - y)),
        }
    }

    fn rdist_to_dist(&self, rdist: f64) -> f64 {
        rdist.sqrt()
    }

    fn dist_to_rdist(&self, dist: f64) -> f64 {
        dist.powi(2)
    }
}

/// Nearest centroid; ties go to the lower index.
fn nearest(row: &[f64], centroids: &Array2<f64>) -> (usize, f64) {
    let mut best = (0, f64::INFINITY);
    for (i, c) in centroids.axis_iter(Axis(0)).enumerate() {
        let d = sq_dist(row, c.as_slice().expect("standard layout"));
        if d < best.1 {
            best = (i, d);
        }
    }
    best
}

fn fit(
    data: ArrayView2<f64>,
    k: usize,
    p: &SegmentParams,
    init: Option<Array2<f64>>,
) -> Result<Array2<f64>, SegmentError> {
    let rng = Xoshiro256Plus::seed_from_u64(p.seed);
    let mut params = KMeans::params_with(k, rng, Euclidean)
        .n_runs(p.n_runs)
        .max_n_iterations(MAX_ITERATIONS)
        .tolerance(TOLERANCE);
    if let Some(c) = init {
        // Starting from given centroids is deterministic, extra runs would repeat the same fit.
        params = params.init_method(KMeansInit::Precomputed(c)).n_runs(1);
    }
    let model = params
        .fit(&DatasetBase::from(data))
        .map_err(|e| SegmentError::Clustering(e.to_string()))?;
    Ok(model.centroids().clone())
}

/// Condensed pairwise distances of the silhouette sample, computed once for every k tried.
struct Distances {
    n: usize,
    d: Vec<f64>,
}

impl Distances {
    fn new(rows: ArrayView2<f64>) -> Distances {
        let n = rows.nrows();
        let mut d = Vec::with_capacity(n * n.saturating_sub(1) / 2);
        for i in 0..n {
            for j in i + 1..n {
                d.push(
                    sq_dist(
                        rows.row(i).as_slice().expect("standard"),
                        rows.row(j).as_slice().expect("standard"),
                    )
                    .sqrt(),
                );
            }
        }
        Distances { n, d }
    }

    fn get(&self, i: usize, j: usize) -> f64 {
        let (i, j) = if i < j { (i, j) } else { (j, i) };
        self.d[i * (2 * self.n - i - 1) / 2 + (j - i - 1)]
    }

    /// Mean silhouette (a point alone in its cluster scores 0, as in scikit-learn); `None` when
    /// fewer than two clusters are present.
    fn silhouette(&self, labels: &[usize], k: usize) -> Option<f64> {
        let mut sizes = vec![0usize; k];
        for &l in labels {
            sizes[l] += 1;
        }
        if sizes.iter().filter(|&&s| s > 0).count() < 2 {
            return None;
        }
        let mut sums = vec![0.0; k];
        let mut total = 0.0;
        for i in 0..self.n {
            sums.iter_mut().for_each(|s| *s = 0.0);
            for j in 0..self.n {
                if i != j {
                    sums[labels[j]] += self.get(i, j);
                }
            }
            let own = labels[i];
            if sizes[own] <= 1 {
                continue;
            }
            let a = sums[own] / (sizes[own] - 1) as f64;
            let b = (0..k)
                .filter(|&c| c != own && sizes[c] > 0)
                .map(|c| sums[c] / sizes[c] as f64)
                .fold(f64::INFINITY, f64::min);
            let m = a.max(b);
            if m > 0.0 {
                total += (b - a) / m;
            }
        }
        Some(total / self.n as f64)
    }
}

fn labels_of(rows: ArrayView2<f64>, centroids: &Array2<f64>) -> Vec<usize> {
    rows.axis_iter(Axis(0))
        .map(|r| nearest(r.as_slice().expect("standard"), centroids).0)
        .collect()
}

/// The previous state, when it describes the same features and a usable k.
fn usable_previous(previous: &Previous, n: usize) -> Result<Option<&ModelState>, String> {
    let prev = match previous {
        Previous::None => return Ok(None),
        Previous::Ignored(why) => return Err(why.clone()),
        Previous::Use(prev) => prev,
    };
    if prev.feature_names.iter().map(String::as_str).ne(FEATURE_NAMES) {
        return Err("previous state has different features".into());
    }
    if prev.segments.len() != prev.k
        || !(2..=K_MAX).contains(&prev.k)
        || prev
            .segments
            .iter()
            .any(|s| s.centroid.len() != N_FEATURES || s.centroid.iter().any(|v| !v.is_finite()))
    {
        return Err("previous state is malformed".into());
    }
    // Two segments under one id would be published as one.
    let mut ids: Vec<u32> = prev.segments.iter().map(|s| s.id).collect();
    ids.sort_unstable();
    if let Some(w) = ids.windows(2).find(|w| w[0] == w[1]) {
        return Err(format!(
            "previous state is malformed: two segments have id {}",
            w[0]
        ));
    }
    if n < 2 * prev.k {
        return Err(format!(
            "only {n} customers with purchases, too few for the previous k = {}",
            prev.k
        ));
    }
    Ok(Some(prev))
}

/// The `m` customers first in order of their keys, ties by position, in that order: those the
/// samples take. A selection, then a sort of the `m` alone: sorting all 200,000 of the
/// benchmark's customers took ~25 ms on the main thread while the other core idled.
fn sample_order(keys: &[(u64, &str)], m: usize) -> Vec<usize> {
    let mut order: Vec<usize> = (0..keys.len()).collect();
    let by_key = |a: &usize, b: &usize| keys[*a].cmp(&keys[*b]).then(a.cmp(b));
    if m < order.len() {
        order.select_nth_unstable_by(m, by_key);
        order.truncate(m);
    }
    order.sort_unstable_by(by_key);
    order
}

/// Clusters `rows` (one per purchasing customer, in output order). `sample_keys` are stable
/// per-customer hashes fixing the fit and silhouette samples.
pub(super) fn cluster(
    rows: &[[f64; N_FEATURES]],
    sample_keys: &[(u64, &str)],
    p: &SegmentParams,
    previous: &Previous,
) -> Result<Clustering, SegmentError> {
    let n = rows.len();
    let scaler = Scaler::fit(rows);
    let mut scaled = Array2::<f64>::zeros((n, N_FEATURES));
    for (i, r) in rows.iter().enumerate() {
        scaled
            .row_mut(i)
            .assign(&ndarray::ArrayView1::from(&scaler.scale(r)));
    }

    // Samples ordered by a hash of the id: the same customers are picked on every run and
    // machine, and the pick is unrelated to id order or spend.
    let fit_n = n.min(p.sample_size);
    let sil_n = n.min(SILHOUETTE_SAMPLE);
    let order = sample_order(sample_keys, fit_n.max(sil_n));
    let fit_rows = scaled.select(Axis(0), &order[..fit_n]);
    let sil_rows = scaled.select(Axis(0), &order[..sil_n]);

    let (prev, mut previous_use) = match usable_previous(previous, n) {
        Ok(Some(prev)) => (Some(prev), PreviousUse::None),
        Ok(None) => (None, PreviousUse::None),
        Err(why) => (None, PreviousUse::Ignored(why)),
    };
    let k_max = auto_k_max(n, p.min_group_size);
    // Without a given k, the previous k is continued only while automatic choice could still
    // pick it; a larger one is refitted at an allowed k and matched to the previous clusters.
    let continue_prev = prev.filter(|prev| match p.k {
        Some(k) => k == prev.k,
        None => prev.k <= k_max,
    });

    let dist = Distances::new(sil_rows.view());
    let mut silhouette_by_k = Vec::new();
    let mut smallest_by_k = Vec::new();
    let (k, choice, centroids) = if let Some(prev) = continue_prev {
        let mut init = Array2::zeros((prev.k, N_FEATURES));
        for (i, s) in prev.segments.iter().enumerate() {
            init.row_mut(i)
                .assign(&ndarray::ArrayView1::from(&scaler.scale(&s.centroid)));
        }
        previous_use = PreviousUse::Continued;
        let choice = if p.k.is_some() {
            KChoice::Given
        } else {
            KChoice::Previous
        };
        (prev.k, choice, fit(fit_rows.view(), prev.k, p, Some(init))?)
    } else if let Some(k) = p.k {
        (k, KChoice::Given, fit(fit_rows.view(), k, p, None)?)
    } else {
        let mut best: Option<Candidate> = None;
        for k in 2..=k_max {
            let centroids = fit(fit_rows.view(), k, p, None)?;
            let silhouette = dist.silhouette(&labels_of(sil_rows.view(), &centroids), k);
            // Sizes over every purchaser: the segments that will be published, not the sample.
            let mut sizes = vec![0usize; k];
            for l in labels_of(scaled.view(), &centroids) {
                sizes[l] += 1;
            }
            let smallest = sizes.iter().copied().min().unwrap_or(0);
            silhouette_by_k.push((k, silhouette));
            smallest_by_k.push((k, smallest));
            let c = Candidate {
                k,
                silhouette,
                smallest,
                centroids,
            };
            if best.as_ref().is_none_or(|b| c.beats(b, p.min_group_size)) {
                best = Some(c);
            }
        }
        match best {
            Some(b) => {
                let choice = if b.smallest >= p.min_group_size {
                    KChoice::Silhouette
                } else {
                    KChoice::SmallestSegment
                };
                (b.k, choice, b.centroids)
            }
            None => {
                return Err(SegmentError::Clustering(format!(
                    "no k could be fitted on {n} customers"
                )));
            }
        }
    };

    let mut labels = Vec::with_capacity(n);
    let mut inertia = 0.0;
    for r in scaled.axis_iter(Axis(0)) {
        let (l, d) = nearest(r.as_slice().expect("standard"), &centroids);
        labels.push(l);
        inertia += d;
    }
    let silhouette = dist.silhouette(&labels_of(sil_rows.view(), &centroids), k);
    let unscaled: Vec<[f64; N_FEATURES]> = centroids
        .axis_iter(Axis(0))
        .map(|c| scaler.unscale(c.as_slice().expect("standard")))
        .collect();

    // A saved segment's name, if it has one: older versions saved the placeholder a segment
    // with withheld figures is published under, which is no name to keep.
    let kept = |s: &SegmentState| s.name.clone().filter(|n| *n != profile::placeholder(s.id));
    // Which previous cluster (if any) each new cluster continues.
    let mut inherited: Vec<Option<(u32, Option<String>)>> = vec![None; k];
    if let Some(prev) = continue_prev {
        for (i, s) in prev.segments.iter().enumerate() {
            inherited[i] = Some((s.id, kept(s)));
        }
    } else if let Some(prev) = prev {
        // Greedy matching on distances in today's scaled space: closest pair first.
        let mut pairs = Vec::new();
        for (i, c) in centroids.axis_iter(Axis(0)).enumerate() {
            for (j, s) in prev.segments.iter().enumerate() {
                pairs.push((
                    sq_dist(c.as_slice().expect("standard"), &scaler.scale(&s.centroid)),
                    i,
                    j,
                ));
            }
        }
        pairs.sort_by(|a, b| a.0.total_cmp(&b.0).then((a.1, a.2).cmp(&(b.1, b.2))));
        let mut prev_taken = vec![false; prev.segments.len()];
        for (_, i, j) in pairs {
            if inherited[i].is_none() && !prev_taken[j] {
                prev_taken[j] = true;
                inherited[i] = Some((prev.segments[j].id, kept(&prev.segments[j])));
            }
        }
        previous_use = PreviousUse::Matched;
    }
    // Fresh ids follow centroid spend, highest first, after any id already in use.
    let mut fresh: Vec<usize> = (0..k).filter(|&i| inherited[i].is_none()).collect();
    fresh.sort_by(|&a, &b| {
        unscaled[b][MONETARY]
            .total_cmp(&unscaled[a][MONETARY])
            .then(a.cmp(&b))
    });
    let mut next_id = prev.map_or(0, |p| p.segments.iter().map(|s| s.id).max().unwrap_or(0)) + 1;
    let mut ids = vec![0u32; k];
    let mut names: Vec<Option<String>> = vec![None; k];
    for i in 0..k {
        if let Some((id, name)) = inherited[i].take() {
            ids[i] = id;
            names[i] = name;
        }
    }
    for i in fresh {
        ids[i] = next_id;
        next_id += 1;
    }

    let mut by_id: Vec<usize> = (0..k).collect();
    by_id.sort_by_key(|&i| ids[i]);
    let mut position = vec![0usize; k];
    for (pos, &i) in by_id.iter().enumerate() {
        position[i] = pos;
    }
    let clusters = by_id
        .iter()
        .map(|&i| Cluster {
            id: ids[i],
            kept_name: names[i].take(),
            centroid: unscaled[i],
        })
        .collect();
    let labels = labels.into_iter().map(|l| position[l]).collect();
    Ok(Clustering {
        k,
        choice,
        previous: previous_use,
        silhouette_by_k,
        smallest_by_k,
        silhouette,
        inertia,
        fit_sample: fit_n,
        silhouette_sample: sil_n,
        clusters,
        labels,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::array;

    /// The slice distance is linfa's to the bit, on rows, on strided columns, and so is a fit
    /// with it (the segments of a night must not move with the distance's implementation).
    #[test]
    fn the_slice_distance_is_linfas_to_the_bit() {
        use linfa_nn::distance::L2Dist;
        let rows = Array2::from_shape_fn((200, N_FEATURES), |(i, j)| {
            ((i * 7919 + j * 104_729) % 1000) as f64 / 37.0 - 13.0 + (i as f64).sqrt() * 1e-7
        });
        for (a, b) in rows.outer_iter().zip(rows.outer_iter().skip(1)) {
            let (ours, theirs) = (Euclidean.rdistance(a, b), L2Dist.rdistance(a, b));
            assert_eq!(ours.to_bits(), theirs.to_bits());
            assert_eq!(
                Euclidean.distance(a, b).to_bits(),
                L2Dist.distance(a, b).to_bits()
            );
        }
        let (c0, c1) = (rows.column(0), rows.column(1));
        assert!(c0.as_slice().is_none());
        assert_eq!(
            Euclidean.rdistance(c0, c1).to_bits(),
            L2Dist.rdistance(c0, c1).to_bits()
        );
        let fit_with = |d: Euclidean| -> Array2<f64> {
            let ours = KMeans::params_with(4, Xoshiro256Plus::seed_from_u64(7), d)
                .n_runs(3)
                .fit(&DatasetBase::from(rows.view()))
                .unwrap();
            ours.centroids().clone()
        };
        let theirs = KMeans::params_with_rng(4, Xoshiro256Plus::seed_from_u64(7))
            .n_runs(3)
            .fit(&DatasetBase::from(rows.view()))
            .unwrap();
        assert_eq!(fit_with(Euclidean), theirs.centroids());
    }

    #[test]
    fn silhouette_of_two_clean_clusters_is_high() {
        let rows = array![[0.0, 0.0], [0.0, 0.1], [10.0, 10.0], [10.0, 10.1]];
        let d = Distances::new(rows.view());
        let s = d.silhouette(&[0, 0, 1, 1], 2).unwrap();
        assert!(s > 0.95, "{s}");
        assert_eq!(d.silhouette(&[0, 0, 0, 0], 2), None);
        assert!(d.silhouette(&[0, 1, 0, 1], 2).unwrap() < 0.0);
    }

    #[test]
    fn automatic_k_stops_where_segments_would_fall_under_the_minimum() {
        // 22 purchasers, minimum 10: only k = 2 can give segments of 10.
        assert_eq!(auto_k_max(22, 10), 2);
        assert_eq!(auto_k_max(40, 10), 4);
        assert_eq!(auto_k_max(65, 10), 6);
        assert_eq!(auto_k_max(1000, 10), K_MAX);
        // Fewer than 2 × the minimum: still k = 2, the fewest segments a run can have.
        assert_eq!(auto_k_max(15, 10), 2);
        assert_eq!(auto_k_max(4, 10), 2);
        // Without a minimum, as before: up to n / 2.
        assert_eq!(auto_k_max(12, 0), 6);
        assert_eq!(auto_k_max(12, 1), 6);
    }

    #[test]
    fn candidates_under_the_minimum_lose_to_any_that_reach_it() {
        let c = |k, silhouette, smallest| Candidate {
            k,
            silhouette,
            smallest,
            centroids: Array2::zeros((k, 1)),
        };
        let min = 10;
        // A better silhouette does not make up for segments under the minimum.
        assert!(c(2, Some(0.3), 12).beats(&c(4, Some(0.9), 3), min));
        assert!(!c(4, Some(0.9), 3).beats(&c(2, Some(0.3), 12), min));
        // Among those that reach it, the silhouette decides; a tie keeps the earlier (smaller) k.
        assert!(c(3, Some(0.6), 10).beats(&c(2, Some(0.5), 20), min));
        assert!(!c(3, Some(0.5), 10).beats(&c(2, Some(0.5), 20), min));
        // When none reaches it, the largest smallest segment.
        assert!(c(2, Some(0.1), 7).beats(&c(3, Some(0.8), 4), min));
        assert!(c(3, Some(0.8), 4).beats(&c(2, None, 4), min));
    }

    /// The selection picks and orders the samples as a stable sort of every customer does.
    #[test]
    fn sample_order_is_the_head_of_a_stable_sort() {
        let names: Vec<String> = (0..500).map(|i| format!("c{}", i % 211)).collect();
        // Few distinct hashes and repeated names: ties on the hash, and on the whole key.
        let keys: Vec<(u64, &str)> = names
            .iter()
            .enumerate()
            .map(|(i, s)| ((i as u64 * 7919) % 13, s.as_str()))
            .collect();
        let mut sorted: Vec<usize> = (0..keys.len()).collect();
        sorted.sort_by(|&a, &b| keys[a].cmp(&keys[b]));
        for m in [0, 1, 37, 250, 499, 500, 800] {
            assert_eq!(sample_order(&keys, m), sorted[..m.min(500)], "m = {m}");
        }
    }

    #[test]
    fn scaler_guards_constant_features() {
        let s = Scaler::fit(&[[1.0, 2.0, 3.0, 4.0, 0.0, 0.5], [3.0, 2.0, 5.0, 4.0, 0.0, 0.5]]);
        let x = s.scale(&[3.0, 2.0, 5.0, 4.0, 0.0, 0.5]);
        assert_eq!(x, [1.0, 0.0, 1.0, 0.0, 0.0, 0.0]);
        assert_eq!(s.unscale(&x), [3.0, 2.0, 5.0, 4.0, 0.0, 0.5]);
    }
}
