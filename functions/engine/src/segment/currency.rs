//! Amounts in several currencies. Every figure (monetary value, order value, revenue shares) sums
//! line amounts, so amounts are brought to one unit before anything is computed: with the
//! configured rates (`SEGFLOW_CURRENCY_RATES`), and Rial to Toman always (an exact ÷ 10; Iranian
//! shops export either, and quote prices in Toman). Amounts in currencies without a rate are
//! taken as they are, and when that adds up more than one currency the manifest says so.

use std::collections::BTreeMap;

/// The unit a converted amount is in: the one the configured rates are quoted in.
const REPORTING: &str = "(reporting currency)";

/// The currencies met in a run, in first-use order, with their conversion and row counts.
pub(super) struct Currencies {
    rates: BTreeMap<String, f64>,
    seen: Vec<Seen>,
}

/// (currency code or `None` for no currency, factor, unit it is summed in, rows).
type Seen = (Option<String>, f64, Option<String>, u64);

impl Currencies {
    pub(super) fn new(rates: &BTreeMap<String, f64>) -> Self {
        Currencies {
            rates: rates.clone(),
            seen: Vec::new(),
        }
    }

    /// The index of a currency code (as the curated data has it: ISO 4217, upper case).
    pub(super) fn index(&mut self, code: Option<&str>) -> u32 {
        let code = code
            .map(|c| c.trim().to_ascii_uppercase())
            .filter(|c| !c.is_empty());
        if let Some(i) = self.seen.iter().position(|s| s.0 == code) {
            return i as u32;
        }
        let (factor, unit) = match code.as_deref() {
            Some(c) => match self.rates.get(c) {
                Some(&rate) => (rate, Some(REPORTING.to_string())),
                // Rial is a tenth of a Toman: either one's rate converts the other.
                None if c == "IRR" => match self.rates.get("IRT") {
                    Some(&toman) => (0.1 * toman, Some(REPORTING.to_string())),
                    None => (0.1, Some("IRT".to_string())),
                },
                None if c == "IRT" => match self.rates.get("IRR") {
                    Some(&rial) => (10.0 * rial, Some(REPORTING.to_string())),
                    None => (1.0, Some("IRT".to_string())),
                },
                None => (1.0, Some(c.to_string())),
            },
            None => (1.0, None),
        };
        self.seen.push((code, factor, unit, 0));
        (self.seen.len() - 1) as u32
    }

    #[inline]
    pub(super) fn factor(&self, i: u32) -> f64 {
        self.seen[i as usize].1
    }

    #[inline]
    pub(super) fn count(&mut self, i: u32) {
        self.seen[i as usize].3 += 1;
    }

    /// Rows used per currency as exported (`(none)` for rows without one), by code.
    pub(super) fn rows(&self) -> BTreeMap<String, u64> {
        let mut out = BTreeMap::new();
        for (code, _, _, rows) in self.seen.iter().filter(|s| s.3 > 0) {
            *out.entry(code.clone().unwrap_or_else(|| "(none)".into()))
                .or_insert(0) += rows;
        }
        out
    }

    /// What `field` names of the used rows, sorted, each once (rows it names nothing for left out).
    fn used<'a>(&'a self, field: impl Fn(&'a Seen) -> Option<&'a str>) -> Vec<&'a str> {
        let mut names: Vec<&str> = self.seen.iter().filter(|s| s.3 > 0).filter_map(field).collect();
        names.sort_unstable();
        names.dedup();
        names
    }

    /// The units the used rows are summed in; rows without a currency have none.
    fn used_units(&self) -> Vec<&str> {
        self.used(|s| s.2.as_deref())
    }

    /// The currency codes of the used rows.
    fn used_codes(&self) -> Vec<&str> {
        self.used(|s| s.0.as_deref())
    }

    /// Rows used without a currency.
    fn rows_without_currency(&self) -> u64 {
        self.seen.iter().filter(|s| s.0.is_none()).map(|s| s.3).sum()
    }

    /// Rows without a currency are taken to be in the shop's own, which the other rows name when
    /// they name one currency that is summed as it is. Beside several (EUR and USD converted by
    /// rates, or Rial and Toman), or beside one that is converted (Rial to Toman, pounds at a
    /// rate), their unit is a guess: they are summed as they are, which is right for at most one.
    fn unplaced_rows(&self) -> u64 {
        let codes = self.used_codes();
        let as_is = match codes[..] {
            [] => true,
            [code] => self
                .seen
                .iter()
                .any(|s| s.0.as_deref() == Some(code) && s.1 == 1.0),
            _ => false,
        };
        if as_is { 0 } else { self.rows_without_currency() }
    }

    /// The one unit every used amount is summed in, when there is one and it has a name: a
    /// currency code (Toman for Rial and Toman), or with rates the code quoted at exactly 1.
    pub(super) fn unit(&self) -> Option<String> {
        let [only] = self.used_units()[..] else {
            return None;
        };
        if self.unplaced_rows() > 0 {
            return None;
        }
        if only != REPORTING {
            return Some(only.to_string());
        }
        let mut at_one = self.rates.iter().filter(|(_, r)| **r == 1.0).map(|(c, _)| c);
        match (at_one.next(), at_one.next()) {
            (Some(c), None) => Some(c.clone()),
            _ => None,
        }
    }

    /// A warning when used rows are summed in more than one unit, or when rows without a currency
    /// are added to amounts in several.
    pub(super) fn warning(&self) -> Option<String> {
        let units = self.used_units();
        let mut parts = Vec::new();
        if units.len() > 1 {
            parts.push(format!(
                "amounts in {} are added together at face value, so monetary values, order values and \
                 revenue shares mix currencies; set SEGFLOW_CURRENCY_RATES (e.g. \"EUR=1,GBP=1.17\") to \
                 convert them into one",
                units.join(", ")
            ));
        }
        let unplaced = self.unplaced_rows();
        if unplaced > 0 {
            let rows = if unplaced == 1 {
                "1 sales row names no currency and is".to_string()
            } else {
                format!("{unplaced} sales rows name no currency and are")
            };
            parts.push(format!(
                "{rows} added at face value to amounts in {}, in whichever currency they are; give \
                 their exports a currency column (or the currency in the amount's header) so that \
                 they are converted",
                self.used_codes().join(", ")
            ));
        } else if let [code @ ("IRT" | "IRR")] = self.used_codes()[..]
            && self.rows_without_currency() > 0
        {
            // Summed as the shop's own, as rows without a currency beside any one currency; but
            // beside the toman or the rial it is a guess that is wrong tenfold, since shops price
            // in tomans and their accounting programs export rials.
            let (named, other) = if code == "IRT" {
                ("Toman", "Rial")
            } else {
                ("Rial", "Toman")
            };
            parts.push(format!(
                "{} sales rows name no currency and are taken to be in {named}, as the other rows are; \
                 if their exports are in {other}, they count ten times too much or too little: give \
                 them a currency column or the unit in the amount's header (\"مبلغ (ریال)\")",
                self.rows_without_currency()
            ));
        }
        (!parts.is_empty()).then(|| parts.join(". "))
    }
}

/// Parses `SEGFLOW_CURRENCY_RATES`: `CODE=rate` pairs separated by commas, each rate the value of
/// one unit of that currency in the reporting currency (finite and positive).
pub fn parse_rates(text: &str) -> Result<BTreeMap<String, f64>, String> {
    let mut out = BTreeMap::new();
    for pair in text.split(',').map(str::trim).filter(|p| !p.is_empty()) {
        let (code, rate) = pair
            .split_once('=')
            .ok_or_else(|| format!("{pair:?} is not CODE=rate"))?;
        let code = code.trim().to_ascii_uppercase();
        if code.len() != 3 || !code.bytes().all(|b| b.is_ascii_alphabetic()) {
            return Err(format!("{code:?} is not a three-letter currency code"));
        }
        let rate: f64 = rate
            .trim()
            .parse()
            .map_err(|_| format!("{code}: {rate:?} is not a number"))?;
        if !(rate.is_finite() && rate > 0.0) {
            return Err(format!("{code}: the rate must be a positive number"));
        }
        if out.insert(code.clone(), rate).is_some() {
            return Err(format!("{code} is given twice"));
        }
    }
    // A Rial is a tenth of a Toman, whatever else: two rates that say otherwise would value one
    // purchase by the currency it was paid in.
    if let (Some(&toman), Some(&rial)) = (out.get("IRT"), out.get("IRR"))
        && ((toman / rial) / 10.0 - 1.0).abs() > 1e-9
    {
        return Err(format!(
            "IRT={toman} and IRR={rial} disagree: a Rial is a tenth of a Toman, so give one of the two \
             (either converts both)"
        ));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rial_is_toman_and_rates_convert() {
        let mut c = Currencies::new(&BTreeMap::new());
        let (irr, irt, none) = (c.index(Some("IRR")), c.index(Some("irt")), c.index(None));
        assert_eq!((c.factor(irr), c.factor(irt), c.factor(none)), (0.1, 1.0, 1.0));
        for i in [irr, irt, irt, none] {
            c.count(i);
        }
        let rows: Vec<(String, u64)> = c.rows().into_iter().collect();
        assert_eq!(rows, [("(none)".into(), 1), ("IRR".into(), 1), ("IRT".into(), 2)]);
        // Rial and Toman are one unit once converted, but the row without a currency may be in
        // either: tenfold apart.
        let w = c.warning().unwrap();
        assert!(
            w.starts_with("1 sales row names no currency and is added at face value to amounts in IRR, IRT"),
            "{w}"
        );
        assert_eq!(c.unit(), None);
        let mut c = Currencies::new(&BTreeMap::new());
        let (irr, none) = (c.index(Some("IRR")), c.index(None));
        for i in [irr, none] {
            c.count(i);
        }
        let w = c.warning().unwrap();
        assert!(
            w.contains("amounts in IRR"),
            "Rial is divided by 10, the other row not: {w}"
        );
        assert_eq!(c.unit(), None);
        let mut c = Currencies::new(&BTreeMap::new());
        let (irt, none) = (c.index(Some("IRT")), c.index(None));
        for i in [irt, none, none] {
            c.count(i);
        }
        // Beside Toman alone, that is taken to be the shop's own, with a word of caution: Rial
        // exports differ tenfold.
        assert!(
            c.warning()
                .unwrap()
                .contains("2 sales rows name no currency and are taken to be in Toman")
        );
        assert_eq!(c.unit().as_deref(), Some("IRT"));
        let mut c = Currencies::new(&BTreeMap::new());
        let (eur, none) = (c.index(Some("EUR")), c.index(None));
        for i in [eur, none] {
            c.count(i);
        }
        assert_eq!(c.warning(), None, "beside euros alone, the shop's own");
        let mut c = Currencies::new(&BTreeMap::new());
        let (irr, irt) = (c.index(Some("IRR")), c.index(Some("IRT")));
        for i in [irr, irt] {
            c.count(i);
        }
        assert_eq!(c.warning(), None, "Rial and Toman are one unit once converted");
        assert_eq!(c.unit().as_deref(), Some("IRT"));
        let gbp = c.index(Some("GBP"));
        c.count(gbp);
        assert_eq!(c.unit(), None, "GBP and Toman at face value");
        let w = c.warning().unwrap();
        assert!(w.starts_with("amounts in GBP, IRT are added together"), "{w}");

        let rates = parse_rates("gbp=1.17, EUR=1").unwrap();
        let mut c = Currencies::new(&rates);
        let (gbp, eur, irr) = (c.index(Some("GBP")), c.index(Some("EUR")), c.index(Some("IRR")));
        assert_eq!((c.factor(gbp), c.factor(eur)), (1.17, 1.0));
        for i in [gbp, eur] {
            c.count(i);
        }
        assert_eq!(c.warning(), None);
        assert_eq!(c.unit().as_deref(), Some("EUR"));
        // Rows without a currency beside converted euros and pounds: in which one?
        let none = c.index(None);
        c.count(none);
        let w = c.warning().unwrap();
        assert!(
            w.contains("1 sales row names no currency") && w.contains("EUR, GBP"),
            "{w}"
        );
        assert_eq!(c.unit(), None);
        c.count(irr);
        assert!(c.warning().unwrap().contains("(reporting currency), IRT"));

        // A rate for Rial converts Toman too.
        let mut c = Currencies::new(&parse_rates("IRR=0.000002").unwrap());
        let irt = c.index(Some("IRT"));
        assert!((c.factor(irt) - 0.00002).abs() < 1e-18);
    }

    #[test]
    fn rates_are_validated() {
        assert_eq!(parse_rates("").unwrap().len(), 0);
        for bad in [
            "EUR",
            "EURO=1",
            "EUR=x",
            "EUR=0",
            "EUR=-1",
            "EUR=inf",
            // A typo's trap: which one would hold?
            "EUR=1,eur=2",
            // A Rial is a tenth of a Toman: rates that disagree value one purchase twice.
            "IRT=0.00002,IRR=0.000001",
        ] {
            assert!(parse_rates(bad).is_err(), "{bad}");
        }
        let both = parse_rates("IRT=0.00002,IRR=0.000002").unwrap();
        assert_eq!(both.len(), 2);
    }
}
