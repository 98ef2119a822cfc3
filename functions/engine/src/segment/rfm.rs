//! RFM quintile scores and the named groups the R×F grid maps to.

use super::RfmRule;

/// Scores 1–5 where a larger value is better: `1 + floor(5 × (#strictly smaller) / n)`.
/// Counting strictly smaller values gives tied customers the same score, which plain quantile
/// cuts on a sorted list would not.
pub(super) fn quintile_scores(values: &[f64]) -> Vec<u8> {
    let n = values.len();
    let mut sorted = values.to_vec();
    sorted.sort_by(f64::total_cmp);
    values
        .iter()
        .map(|&v| {
            let smaller = sorted.partition_point(|&x| x < v);
            1 + (5 * smaller / n) as u8
        })
        .collect()
}

/// Money totals reached through different summation orders can differ in the last bits; ranking
/// on rounded values keeps customers with the same spend tied.
pub(super) fn rank_value(x: f64) -> f64 {
    (x * 10_000.0).round() / 10_000.0
}

/// Index of the first rule matching the cell.
pub(super) fn group_of(rules: &[RfmRule], r: u8, f: u8) -> Option<usize> {
    rules
        .iter()
        .position(|rule| (rule.r.0..=rule.r.1).contains(&r) && (rule.f.0..=rule.f.1).contains(&f))
}

/// Every rule well formed and every one of the 25 R×F cells covered.
pub(super) fn check_rules(rules: &[RfmRule]) -> Result<(), String> {
    if rules.is_empty() {
        return Err("rfm_rules is empty".into());
    }
    for rule in rules {
        if rule.name.trim().is_empty() {
            return Err("an RFM rule has an empty name".into());
        }
        for (axis, (lo, hi)) in [("r", rule.r), ("f", rule.f)] {
            if !(1..=5).contains(&lo) || !(1..=5).contains(&hi) || lo > hi {
                return Err(format!(
                    "RFM rule {:?}: {axis} range ({lo}, {hi}) must satisfy 1 ≤ low ≤ high ≤ 5",
                    rule.name
                ));
            }
        }
    }
    let missing: Vec<String> = (1..=5u8)
        .flat_map(|r| (1..=5u8).map(move |f| (r, f)))
        .filter(|&(r, f)| group_of(rules, r, f).is_none())
        .map(|(r, f)| format!("R{r}F{f}"))
        .collect();
    if missing.is_empty() {
        Ok(())
    } else {
        Err(format!("RFM rules do not cover the cells {}", missing.join(", ")))
    }
}
