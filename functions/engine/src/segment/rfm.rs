//! RFM quintile scores and the named groups the R×F grid maps to.

use super::RfmRule;

/// Which score the customers who share a value get.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Ties {
    /// The lowest of the block: one-order customers are F1 however many they are, as RFM tables
    /// expect ("New" and "Promising" are F1).
    Lowest,
    /// The middle of the block (the upper middle of an even one). Date-only exports tie everyone
    /// who bought on one day: when a third of the customers bought on the last day, they are R5,
    /// and when all bought on the same day, all are R3, not R1 ("Lost").
    Middle,
}

/// Scores 1–5 where a larger value is better. Position `p` (0-based, ascending) of `n` scores
/// `1 + floor(5 p / n)`; customers who share a value share the score of one position of their
/// block (see [`Ties`]), which plain quantile cuts on a sorted list would not give them.
pub(super) fn quintile_scores(values: &[f64], ties: Ties) -> Vec<u8> {
    let n = values.len();
    // The customers in value order, walked block by block of equal values: one sort, where a
    // binary search per customer in a sorted copy cost as much again in cache misses.
    let mut order: Vec<u32> = (0..u32::try_from(n).expect("customers fit u32")).collect();
    // NaN (never a feature) last, where it counts as smaller than nothing, as `<` says.
    order.sort_unstable_by(|&a, &b| {
        let (x, y) = (values[a as usize], values[b as usize]);
        x.is_nan()
            .cmp(&y.is_nan())
            .then_with(|| x.partial_cmp(&y).unwrap_or(std::cmp::Ordering::Equal))
    });
    let mut scores = vec![1u8; n];
    let mut start = 0;
    while start < n {
        let v = values[order[start] as usize];
        // `==`: -0.0 and 0.0 are one value; a NaN is a block of its own and keeps score 1.
        let len = order[start..]
            .iter()
            .take_while(|&&i| values[i as usize] == v)
            .count()
            .max(1);
        let p = match ties {
            Ties::Lowest => start,
            Ties::Middle => start + len / 2,
        };
        if !v.is_nan() {
            for &i in &order[start..start + len] {
                scores[i as usize] = 1 + (5 * p / n) as u8;
            }
        }
        start += len;
    }
    scores
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

/// Reads an RFM rule table written as a marketer would type it: rules separated by `;` (or
/// line breaks), each `Name:R<scores>:F<scores>`, scores a single one (`R5`) or a range (`F4-5`),
/// in table order (the first match wins): `Champions:R5:F4-5;Loyal:R3-4:F4-5;…`. Only the syntax
/// is read here; scores out of 1–5, reversed ranges and uncovered cells are refused by
/// [`check_rules`], with the rest of the parameters.
pub fn parse_rules(text: &str) -> Result<Vec<RfmRule>, String> {
    let rules: Vec<RfmRule> = text
        .split([';', '\n'])
        .map(str::trim)
        .filter(|r| !r.is_empty())
        .map(parse_rule)
        .collect::<Result<_, _>>()?;
    if rules.is_empty() {
        return Err("no rules given".into());
    }
    Ok(rules)
}

fn parse_rule(text: &str) -> Result<RfmRule, String> {
    let bad = || format!("{text:?} is not Name:R<score or range>:F<score or range>, e.g. Loyal:R3-4:F4-5");
    // From the right, so a group name may hold a colon.
    let mut parts = text.rsplitn(3, ':').map(str::trim);
    let (Some(second), Some(first), Some(name)) = (parts.next(), parts.next(), parts.next()) else {
        return Err(bad());
    };
    let (mut r, mut f) = (None, None);
    for part in [first, second] {
        let mut chars = part.chars();
        let axis = match chars.next().map(|c| c.to_ascii_uppercase()) {
            Some('R') => &mut r,
            Some('F') => &mut f,
            _ => return Err(bad()),
        };
        if axis.is_some() {
            return Err(bad());
        }
        *axis = Some(scores(chars.as_str()).ok_or_else(bad)?);
    }
    let (Some(r), Some(f)) = (r, f) else {
        return Err(bad());
    };
    if name.is_empty() {
        return Err(bad());
    }
    Ok(RfmRule {
        name: name.to_string(),
        r,
        f,
    })
}

/// `5` → (5, 5); `3-4` (or `3–4`) → (3, 4).
fn scores(text: &str) -> Option<(u8, u8)> {
    let score = |s: &str| s.trim().parse::<u8>().ok();
    match text.split_once(['-', '–']) {
        Some((lo, hi)) => Some((score(lo)?, score(hi)?)),
        None => score(text).map(|s| (s, s)),
    }
}

/// Every rule well formed and every one of the 25 R×F cells covered.
pub(super) fn check_rules(rules: &[RfmRule]) -> Result<(), String> {
    if rules.is_empty() {
        return Err("there are no RFM rules".into());
    }
    for rule in rules {
        if rule.name.trim().is_empty() {
            return Err("an RFM rule has an empty name".into());
        }
        for (axis, (lo, hi)) in [("R", rule.r), ("F", rule.f)] {
            if !(1..=5).contains(&lo) || !(1..=5).contains(&hi) || lo > hi {
                return Err(format!(
                    "RFM rule {:?}: the {axis} scores {lo}-{hi} must be from 1 to 5, lowest first",
                    rule.name
                ));
            }
        }
    }
    for (i, rule) in rules.iter().enumerate() {
        if let Some(other) = rules[..i]
            .iter()
            .find(|o| o.name.trim().eq_ignore_ascii_case(rule.name.trim()))
        {
            return Err(format!(
                "RFM rules {:?} and {:?} differ only in case: name each group once",
                other.name, rule.name
            ));
        }
        // First match wins: a rule whose every cell an earlier rule takes names no one.
        let reached = (rule.r.0..=rule.r.1)
            .flat_map(|r| (rule.f.0..=rule.f.1).map(move |f| (r, f)))
            .any(|(r, f)| group_of(rules, r, f) == Some(i));
        if !reached {
            return Err(format!(
                "RFM rule {:?} never applies: the rules before it take all of its cells (the first match wins)",
                rule.name
            ));
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

#[cfg(test)]
mod tests {
    use super::*;

    /// The default table as docs/data-contract.md writes it for SEGFLOW_RFM_RULES.
    fn documented_default() -> &'static str {
        let contract = include_str!("../../../../docs/data-contract.md");
        let line = contract
            .lines()
            .find(|l| l.starts_with("`Lost:"))
            .expect("the data contract writes the default table");
        line.trim_end_matches('.').trim_matches('`')
    }

    #[test]
    fn rule_tables_are_read_as_typed() {
        assert_eq!(
            parse_rules(documented_default()).unwrap(),
            super::super::default_rfm_rules()
        );
        // Line breaks for ';', either order of R and F, lower case, an en dash.
        let rules = parse_rules("Best: f4–5 : r4-5\nRest:R1-5:F1-5;").unwrap();
        assert_eq!(
            rules,
            vec![
                RfmRule {
                    name: "Best".into(),
                    r: (4, 5),
                    f: (4, 5)
                },
                RfmRule {
                    name: "Rest".into(),
                    r: (1, 5),
                    f: (1, 5)
                },
            ]
        );
        assert!(check_rules(&rules).is_ok());
        for bad in [
            "",
            ";",
            "Champions",
            "Champions:R5",
            "Champions:R5:R4",
            "Champions:X5:F4",
            ":R5:F5",
            "A:R5:Fx",
            "A:R300:F1",
        ] {
            assert!(parse_rules(bad).is_err(), "{bad:?}");
        }
        // Read, then refused by the check with the other parameters.
        // Out of range, not covering every cell, a rule the ones before it shadow (first match
        // wins), two names for one group.
        for out_of_range in [
            "All:R0-5:F1-5",
            "All:R1-6:F1-5",
            "All:R5-1:F1-5",
            "Top:R5:F5",
            "Rest:R1-5:F1-5;Champions:R5:F4-5",
            "Top:R5:F1-5;top:R1-4:F1-5",
        ] {
            let rules = parse_rules(out_of_range).unwrap();
            assert!(check_rules(&rules).is_err(), "{out_of_range:?}");
        }
    }
}
