//! Lead scoring from website/CRM activity: points per activity (job-title weighted where a person's
//! seniority matters, key pages weighted, unsubscribes negative, optional decay with age), bands
//! weak < 100 ≤ medium ≤ 200 < strong, and a fit × engagement grade (A1 … C3) combined with the
//! ideal-customer fit.

use std::collections::BTreeMap;
use std::fs::File;
use std::path::PathBuf;

use arrow::array::{Array, AsArray};
use arrow::datatypes::TimestampMicrosecondType;
use parquet::arrow::ProjectionMask;
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
use serde::{Deserialize, Serialize};

use crate::error::{EngineError, Result};

/// One curated activity event.
#[derive(Debug, Clone, PartialEq)]
pub struct Activity {
    pub contact: String,
    pub email: Option<String>,
    /// The row's mobile or phone in its key form (`+989121234567`), also when the contact is
    /// keyed otherwise; None in files written before schema version 3.
    pub phone: Option<String>,
    pub event_type: String,
    /// UTC microseconds; [`UNDATED`] for a refusal kept without a time.
    pub ts: i64,
    pub page: Option<String>,
    pub job_title: Option<String>,
}

/// A pattern and its value; the first rule whose pattern matches applies. Key pages match as a
/// case-insensitive substring of the URL; job titles as whole words (see
/// [`LeadScoring::title_weight`]).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Rule {
    pub pattern: String,
    pub value: f64,
    /// Job titles only: the pattern may also be part of a longer word. German writes titles as
    /// compounds ("Vertriebsleiter", "Geschäftsführerin"), which whole-word matching would miss.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub inside_words: bool,
}

fn rule(pattern: &str, value: f64) -> Rule {
    Rule {
        pattern: pattern.to_string(),
        value,
        inside_words: false,
    }
}

/// A rule whose pattern may be part of a compound word.
fn compound(pattern: &str, value: f64) -> Rule {
    Rule {
        inside_words: true,
        ..rule(pattern, value)
    }
}

/// The words of a job title (or of a title pattern) in one spelling: lower case, the Arabic
/// letters Persian text is often typed with replaced by their Persian forms (ي/ى → ی, ك → ک),
/// tatweel dropped, German umlauts in their ASCII transcription (ä → ae, ö → oe, ü → ue, ß → ss:
/// "Geschaeftsfuehrer" is "Geschäftsführer"), French accents dropped ("Directeur General" is
/// "Directeur Général"), and split at every non-alphanumeric character, the zero-width non-joiner
/// included, so "مدیر‌عامل" (ZWNJ) gives the same words as "مدیر عامل".
fn title_words(text: &str) -> Vec<String> {
    let mut norm = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            // Tatweel only stretches a word on screen.
            'ـ' => {}
            // A decomposed umlaut (a combining diaeresis after a, o or u) as the composed one.
            '\u{0308}' if norm.ends_with(['a', 'o', 'u']) => norm.push('e'),
            // Other combining accents, as the composed accented letters below.
            '\u{0300}'..='\u{036F}' => {}
            c => {
                for lc in crate::values::persian_letter(c).to_lowercase() {
                    match lc {
                        'ä' | 'æ' => norm.push_str("ae"),
                        'ö' | 'œ' => norm.push_str("oe"),
                        'ü' => norm.push_str("ue"),
                        'ß' => norm.push_str("ss"),
                        'à' | 'á' | 'â' | 'ã' | 'å' => norm.push('a'),
                        'è' | 'é' | 'ê' | 'ë' => norm.push('e'),
                        'ì' | 'í' | 'î' | 'ï' => norm.push('i'),
                        'ò' | 'ó' | 'ô' | 'õ' => norm.push('o'),
                        'ù' | 'ú' | 'û' => norm.push('u'),
                        'ç' => norm.push('c'),
                        lc => norm.push(lc),
                    }
                }
            }
        }
    }
    norm.split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(str::to_string)
        .collect()
}

/// Whether the pattern's words occur in the title as a run of whole words, ignoring where the
/// spaces fall: Persian compounds are written joined, with a space or with a ZWNJ ("مدیرعامل",
/// "مدیر عامل", "مدیر‌عامل") and "Vice-President" and "V.P." are "vice president" and "vp".
/// Whole words only, so "intern" is not found in "Internal Auditor" nor "lead" in "Leadership".
/// A Persian word may carry a written ezafe ([`without_ezafe`]): «دانشجوی ارشد» is a «دانشجو».
fn words_match(title: &[String], pattern: &str) -> bool {
    if pattern.is_empty() {
        return false;
    }
    (0..title.len()).any(|start| {
        let mut rest = pattern;
        for w in &title[start..] {
            let next = rest
                .strip_prefix(w.as_str())
                .or_else(|| without_ezafe(w).and_then(|base| rest.strip_prefix(base)));
            match next {
                Some("") => return true,
                Some(r) => rest = r,
                None => return false,
            }
        }
        false
    })
}

/// The word without the ezafe «ی» that Persian writes after a word ending in a vowel letter
/// (ا or و) when another word qualifies it: «دانشجوی ارشد» (graduate student) is «دانشجو» +
/// «ی». After a consonant the ezafe is not written, so «مدیری», «کارآموزی» (internship) or
/// «دانشجویی» (students') keep their own meaning and match nothing shorter.
fn without_ezafe(word: &str) -> Option<&str> {
    let base = word.strip_suffix('ی')?;
    (base.chars().count() >= 2 && base.ends_with(['ا', 'و'])).then_some(base)
}

/// Words naming an assistant or a secretary ([`LeadScoring::title_weight`]), in the spelling of
/// [`title_words`].
const ASSISTANTS: [&str; 14] = [
    "assistant",
    "assistants",
    "assistent",
    "assistentin",
    "assistenz",
    "assistante",
    "secretary",
    "sekretaer",
    "sekretaerin",
    "secretaire",
    "pa",
    "ea",
    "aide",
    "asistente",
];
/// The words after which an assistant's title names whom they assist: "to the CEO", "of the MD",
/// "der Geschäftsführung", "de direction".
const ASSISTANT_OF: [&str; 9] = ["to", "of", "for", "der", "des", "von", "vom", "de", "du"];

/// The points table. Serialisable so a deployment can replace it with its own JSON.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LeadScoring {
    /// Points per canonical event type (see the activity dataset); missing types score 0.
    pub points: BTreeMap<String, f64>,
    /// Event types whose points are multiplied by the job-title weight (what a CEO downloads
    /// counts more than what an intern downloads).
    pub title_weighted: Vec<String>,
    /// Job-title weights, first matching pattern wins; 1.0 when none matches.
    pub job_titles: Vec<Rule>,
    /// Extra points for a page view of a key page (pattern matched in the URL/path).
    pub key_pages: Vec<Rule>,
    /// Points halve every this many days of age (`None`: no decay).
    pub half_life_days: Option<f64>,
    /// weak < `medium_from` ≤ medium ≤ `strong_above` < strong.
    pub medium_from: f64,
    pub strong_above: f64,
}

impl Default for LeadScoring {
    fn default() -> Self {
        let points = [
            ("download", 30.0),
            ("form_submit", 40.0),
            ("page_view", 2.0),
            ("video_view", 15.0),
            ("newsletter_signup", 20.0),
            ("email_open", 3.0),
            ("email_click", 8.0),
            ("unsubscribe", -50.0),
        ];
        LeadScoring {
            points: points.iter().map(|(k, v)| (k.to_string(), *v)).collect(),
            title_weighted: vec!["download".into(), "form_submit".into()],
            job_titles: [
                // C-level titles are mostly written as abbreviations.
                "ceo", "cto", "cfo", "coo", "cmo", "cio", "cxo", "cpo", "cro", "cso", "cdo", "cco", "chro",
                "ciso", "chief",
            ]
            .into_iter()
            .map(|p| rule(p, 2.0))
            .chain([
                // Scrum and process roles, not proprietors: neutral, and listed before "owner"
                // so that the first match stops there.
                rule("product owner", 1.0),
                rule("process owner", 1.0),
                compound("founder", 2.0),
                rule("owner", 2.0),
                rule("managing director", 2.0),
                compound("geschäftsführer", 2.0),
                // French: directeur général / PDG (CEO), gérant (managing owner).
                rule("directeur general", 2.0),
                rule("directrice generale", 2.0),
                rule("pdg", 2.0),
                rule("gerant", 2.0),
                rule("gerante", 2.0),
                // Persian titles weigh as their English equivalents, tier by tier: the same lead
                // must score the same whichever language the CRM is in. «مدیر ارشد …» is how
                // "Chief … Officer" is translated, so those are C-level before the generic
                // «مدیر ارشد» (senior manager, director level) and «مدیر» (manager).
                rule("مدیرعامل", 2.0),
                rule("مدیر ارشد اجرایی", 2.0),
                rule("مدیر ارشد فناوری", 2.0),
                rule("مدیر ارشد فنی", 2.0),
                rule("مدیر ارشد مالی", 2.0),
                rule("مدیر ارشد عملیات", 2.0),
                rule("مدیر ارشد بازاریابی", 2.0),
                rule("مدیر ارشد اطلاعات", 2.0),
                rule("بنیانگذار", 2.0),
                rule("موسس", 2.0),
                rule("مؤسس", 2.0),
                rule("مالک", 2.0),
                // German owners: the shop's or firm's proprietor (Inhaberin, Mitinhaber,
                // Geschäftsinhaber).
                compound("inhaber", 2.0),
                rule("vp", 1.7),
                rule("vice president", 1.7),
                rule("director", 1.7),
                rule("directeur", 1.7),
                rule("directrice", 1.7),
                rule("head of", 1.7),
                // A team's leader is a lead, in German too ("Teamleiter"), before the "leiter"
                // of a department or a sales force (head of).
                compound("teamleiter", 1.4),
                compound("teamleitung", 1.4),
                compound("leiter", 1.7),
                rule("مدیر ارشد", 1.7),
                rule("معاون", 1.7),
                rule("رئیس", 1.7),
                rule("رییس", 1.7),
                compound("manager", 1.4),
                // Lead generation is a marketing task, no lead role.
                rule("lead generation", 1.0),
                rule("lead", 1.4),
                rule("leader", 1.4),
                rule("مدیر", 1.4),
                rule("سرپرست", 1.4),
                rule("intern", 0.5),
                rule("student", 0.5),
                rule("junior", 0.6),
                rule("assistant", 0.7),
                compound("assistent", 0.7),
                compound("assistenz", 0.7),
                rule("کارآموز", 0.5),
                rule("دانشجو", 0.5),
                rule("دانش آموز", 0.5),
                rule("دستیار", 0.7),
                // A president heads the firm ("President & CEO", "Co-President"): last, so that a
                // "Vice President" (×1.7 above) or a "Student Council President" (a student) is
                // read first; a past one, or one of a chapter, class or parents' association, is
                // neutral.
                rule("past president", 1.0),
                rule("former president", 1.0),
                rule("retired president", 1.0),
                rule("ex president", 1.0),
                rule("chapter president", 1.0),
                rule("class president", 1.0),
                rule("pta president", 1.0),
                rule("president", 2.0),
            ])
            .collect(),
            key_pages: vec![
                rule("pricing", 10.0),
                rule("demo", 10.0),
                rule("contact", 8.0),
                rule("contactus", 8.0),
                rule("requestdemo", 10.0),
                rule("quote", 8.0),
                // Persian shops' pages: prices, tariffs, demo, contact us, inquiry, pro-forma.
                rule("قیمت", 10.0),
                rule("تعرفه", 10.0),
                rule("دمو", 10.0),
                rule("تماس", 8.0),
                rule("استعلام", 8.0),
                rule("پیش\u{200c}فاکتور", 8.0),
                rule("پیش فاکتور", 8.0),
                rule("پیش-فاکتور", 8.0),
                rule("پیشفاکتور", 8.0),
            ],
            half_life_days: None,
            medium_from: 100.0,
            strong_above: 200.0,
        }
    }
}

impl LeadScoring {
    /// Validated before any scoring, like the clustering parameters.
    pub fn check(&self) -> Result<()> {
        let bad = |m: String| Err(EngineError::Invalid(format!("lead scoring: {m}")));
        // Written so that NaN thresholds fail the check too.
        #[allow(clippy::neg_cmp_op_on_partial_ord)]
        if !(self.medium_from < self.strong_above) {
            return bad(format!(
                "medium_from ({}) must be below strong_above ({})",
                self.medium_from, self.strong_above
            ));
        }
        if let Some(h) = self.half_life_days
            && !(h > 0.0 && h.is_finite())
        {
            return bad(format!("half_life_days must be positive, not {h}"));
        }
        if let Some(r) = self
            .job_titles
            .iter()
            .find(|r| !(r.value >= 0.0 && r.value.is_finite()))
        {
            return bad(format!("job-title weight for {:?} must be ≥ 0", r.pattern));
        }
        if self
            .points
            .values()
            .chain(self.key_pages.iter().map(|r| &r.value))
            .any(|v| !v.is_finite())
        {
            return bad("points must be finite numbers".into());
        }
        Ok(())
    }

    /// The weight of the first job-title rule that matches; 1.0 when none does. Title and pattern
    /// are compared in one spelling ([`title_words`]) and as whole words ([`words_match`]), except
    /// for rules marked `inside_words`, which may be part of a longer word.
    ///
    /// An assistant's or secretary's title names whom they assist ("Assistant to the CEO",
    /// "Assistentin der Geschäftsführung", «دستیار مدیرعامل»): it weighs as "Assistant"
    /// («دستیار»), whatever the title of the person assisted.
    pub fn title_weight(&self, title: Option<&str>) -> f64 {
        let Some(mut words) = title.map(title_words) else {
            return 1.0;
        };
        // Also an assistant named last, after whom they assist ("CEO Assistant", "Executive
        // Assistant"): in English the last noun says what the person is. Not a secretary: a
        // "Company Secretary" or "General Secretary" is an officer.
        if words
            .windows(2)
            .any(|w| ASSISTANTS.contains(&w[0].as_str()) && ASSISTANT_OF.contains(&w[1].as_str()))
            || (words.len() > 1
                && words
                    .last()
                    .is_some_and(|w| ASSISTANTS.contains(&w.as_str()) && !w.starts_with("sec")))
        {
            words = vec!["assistant".into()];
        } else if words.len() > 1 && ["دستیار", "منشی"].contains(&words[0].as_str()) {
            // Persian puts whom they assist after the word, its ezafe unwritten.
            words = vec!["دستیار".into()];
        }
        let joined: String = words.concat();
        self.job_titles
            .iter()
            .find(|r| {
                let p = title_words(&r.pattern).concat();
                if r.inside_words {
                    !p.is_empty() && joined.contains(&p)
                } else {
                    words_match(&words, &p)
                }
            })
            .map_or(1.0, |r| r.value)
    }

    fn page_bonus(&self, page: Option<&str>) -> f64 {
        let Some(p) = page.map(page_text) else {
            return 0.0;
        };
        self.key_pages
            .iter()
            .find(|r| has_word(&p, &crate::values::persian_letters(&r.pattern.to_lowercase())))
            .map_or(0.0, |r| r.value)
    }

    pub fn band(&self, score: f64) -> Band {
        if score < self.medium_from {
            Band::Weak
        } else if score <= self.strong_above {
            Band::Medium
        } else {
            Band::Strong
        }
    }
}

/// Whether the key word is the first or the last word of a part of the page's path or query,
/// alone or with a plural ending: `/pricing-plans`, `/demos`, `/get-a-quote`, `?page=pricing`,
/// «/قیمت‌ها», «/لیست-قیمت». Not inside a word (`/demographics`, «دموکراسی», «بی‌قیمت») nor
/// amid a slug: shops name product pages «خرید-و-قیمت-گوشی-…», which are no pricing page.
fn has_word(text: &str, word: &str) -> bool {
    let split = |s: &str| -> Vec<String> {
        s.split(['-', '_', '+', ' '])
            .filter(|w| !w.is_empty())
            .map(str::to_string)
            .collect()
    };
    let pattern = split(word);
    let Some((last, head)) = pattern.split_last() else {
        return false;
    };
    let same = |w: &str, p: &str| {
        w == p
            || ["s", "ها", "\u{200c}ها"]
                .iter()
                .any(|e| w.strip_prefix(p) == Some(*e))
    };
    let run = |words: &[String]| {
        words.len() == pattern.len()
            && words[..head.len()].iter().zip(head).all(|(w, p)| w == p)
            && same(&words[head.len()], last)
    };
    text.split(['/', '?', '&', '=', '#', '.']).any(|part| {
        let words = split(part);
        let n = pattern.len();
        words.len() >= n && (run(&words[..n]) || run(&words[words.len() - n..]))
    })
}

/// A page as people read it: analytics exports give Persian paths percent-encoded
/// (`/%D9%82%DB%8C%D9%85%D8%AA`), and Arabic yeh and kaf stand for the Persian letters.
fn page_text(page: &str) -> String {
    let decoded = if page.contains('%') {
        let b = page.as_bytes();
        let mut out = Vec::with_capacity(b.len());
        let mut i = 0;
        while i < b.len() {
            let hex = |c: u8| (c as char).to_digit(16);
            match (
                b[i],
                b.get(i + 1).copied().and_then(hex),
                b.get(i + 2).copied().and_then(hex),
            ) {
                (b'%', Some(h), Some(l)) => {
                    out.push((h * 16 + l) as u8);
                    i += 3;
                }
                (c, ..) => {
                    out.push(c);
                    i += 1;
                }
            }
        }
        String::from_utf8_lossy(&out).into_owned()
    } else {
        page.to_string()
    };
    crate::values::persian_letters(&decoded.to_lowercase()).into_owned()
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Band {
    Weak,
    Medium,
    Strong,
}

impl Band {
    pub fn as_str(self) -> &'static str {
        match self {
            Band::Weak => "weak",
            Band::Medium => "medium",
            Band::Strong => "strong",
        }
    }
}

/// Odds of resembling the best customers, relative to someone of whom nothing is known, from
/// which a fit letter is A (×2.5 or more: several known traits the best customers have far more
/// often) or B (×1.25 or more). Fixed fits (A ≥ 70) made the letter a measure of the ideal
/// group's size instead: with a group of 80 % of the purchasers everyone was an A, with one of
/// 20 % no lead ever was.
const GRADE_A_ODDS: f64 = 2.5;
const GRADE_B_ODDS: f64 = 1.25;

/// Fit letter from the 0–100 ideal-customer fit against `nothing_known`, the fit of someone of
/// whom nothing is known (see [`GRADE_A_ODDS`]; else C), and engagement digit from the band (1
/// strong, 2 medium, 3 weak): A1 is a great fit that is highly engaged.
pub fn grade(fit: f64, nothing_known: f64, band: Band) -> String {
    let odds = |f: f64| f / (100.0 - f).max(1e-9);
    let ratio = odds(fit.clamp(0.0, 100.0)) / odds(nothing_known.clamp(0.01, 99.99));
    let letter = if ratio >= GRADE_A_ODDS {
        'A'
    } else if ratio >= GRADE_B_ODDS {
        'B'
    } else {
        'C'
    };
    let digit = match band {
        Band::Strong => '1',
        Band::Medium => '2',
        Band::Weak => '3',
    };
    format!("{letter}{digit}")
}

/// One contact's score with what made it.
#[derive(Debug, Clone, PartialEq)]
pub struct LeadScore {
    pub contact: String,
    pub email: Option<String>,
    pub job_title: Option<String>,
    pub score: f64,
    pub band: Band,
    /// (event type, count, points), largest contribution first.
    pub contributions: Vec<(String, u32, f64)>,
    pub last_activity: i64,
    /// The contact unsubscribed at some point: never activated, whatever the score.
    pub unsubscribed: bool,
}

impl LeadScore {
    /// e.g. "download×2 +120, form_submit×1 +80, page_view×5 +30".
    pub fn contributions_text(&self) -> String {
        self.contributions
            .iter()
            .map(|(t, n, p)| format!("{t}×{n} {}{:.0}", if *p >= 0.0 { "+" } else { "" }, p))
            .collect::<Vec<_>>()
            .join(", ")
    }
}

/// Every contact who ever unsubscribed, with the emails they did it under. Unlike scores, this is
/// not cut at the run date: lists are used now, so a backdated run must not put back someone
/// who has since opted out.
pub fn refusals(activities: &[Activity]) -> BTreeMap<&str, Vec<&str>> {
    let mut out: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
    for a in activities.iter().filter(|a| a.event_type == "unsubscribe") {
        let emails = out.entry(a.contact.as_str()).or_default();
        if let Some(e) = a.email.as_deref()
            && !emails.contains(&e)
        {
            emails.push(e);
        }
    }
    out
}

/// Scores every contact with activity on or before `as_of_micros`; sorted by score (desc), then id.
pub fn score_leads(activities: &[Activity], cfg: &LeadScoring, as_of_micros: i64) -> Vec<LeadScore> {
    #[derive(Default)]
    struct Acc {
        email: Option<String>,
        title: Option<String>,
        by_type: BTreeMap<String, (u32, f64)>,
        last: i64,
        unsubscribed: bool,
    }
    let mut acc: BTreeMap<&str, Acc> = BTreeMap::new();
    let counted = || activities.iter().filter(|a| a.ts <= as_of_micros);
    // The lead's job title is decided once, before any points: the last non-empty title of its
    // rows (in input order). Every download and form of the lead weighs by it, whichever row
    // carried it, so lead_scores.csv explains its own score: CRM and form exports give the title
    // on one row only, and a lead's later title replaces an earlier one.
    for a in counted() {
        if let Some(t) = a.job_title.as_deref().filter(|t| !t.trim().is_empty()) {
            acc.entry(a.contact.as_str()).or_default().title = Some(t.to_string());
        }
    }
    let weights: BTreeMap<&str, f64> = acc
        .iter()
        .map(|(c, e)| (*c, cfg.title_weight(e.title.as_deref())))
        .collect();
    for a in counted() {
        let e = acc.entry(a.contact.as_str()).or_default();
        if a.email.is_some() {
            e.email = a.email.clone();
        }
        let mut pts = cfg.points.get(&a.event_type).copied().unwrap_or(0.0);
        if cfg.title_weighted.iter().any(|t| t == &a.event_type) {
            pts *= weights.get(a.contact.as_str()).copied().unwrap_or(1.0);
        }
        if a.event_type == "page_view" {
            pts += cfg.page_bonus(a.page.as_deref());
        }
        if let Some(h) = cfg.half_life_days {
            let age_days = (as_of_micros - a.ts) as f64 / 86_400e6;
            pts *= 0.5f64.powf(age_days / h);
        }
        let slot = e.by_type.entry(a.event_type.clone()).or_default();
        slot.0 += 1;
        slot.1 += pts;
        e.last = e.last.max(a.ts);
        e.unsubscribed |= a.event_type == "unsubscribe";
    }
    let mut out: Vec<LeadScore> = acc
        .into_iter()
        // A contact with nothing but events of no scored type (an SMS line's questions about
        // orders, or the shop's own line in a message log without directions) is no lead.
        .filter(|(_, a)| a.by_type.iter().any(|(t, (_, p))| t != "other" || *p != 0.0))
        .map(|(contact, a)| {
            // Rounded to 1/100 so float noise never moves a lead across a band edge.
            let score = (a.by_type.values().map(|(_, p)| p).sum::<f64>() * 100.0).round() / 100.0;
            let mut contributions: Vec<(String, u32, f64)> = a
                .by_type
                .into_iter()
                .map(|(t, (n, p))| (t, n, (p * 100.0).round() / 100.0))
                .collect();
            contributions.sort_by(|x, y| y.2.abs().total_cmp(&x.2.abs()).then_with(|| x.0.cmp(&y.0)));
            LeadScore {
                contact: contact.to_string(),
                email: a.email,
                job_title: a.title,
                score,
                band: cfg.band(score),
                contributions,
                last_activity: a.last,
                unsubscribed: a.unsubscribed,
            }
        })
        .collect();
    out.sort_by(|a, b| {
        b.score
            .total_cmp(&a.score)
            .then_with(|| a.contact.cmp(&b.contact))
    });
    out
}

/// A contact one export keys by id and another by email (a CRM and a newsletter tool) is one
/// lead: rows keyed by an email that rows with an id also carry move to that id, keeping the
/// email; not when rows of two ids carry it (a shared inbox). Returns how many rows moved. Run before [`dedup_activity`], so
/// one event exported by both tools counts once.
pub fn unify_contacts(activities: &mut [Activity]) -> usize {
    unify_contacts_with(activities, &mut [])
}

/// [`unify_contacts`], moving `refusals` (kept from quarantined rows, see `curated/refusals`)
/// as the activity's own rows move, without letting them say which id has an email: a sales
/// export's customer number is no contact id, and beside a CRM id with the same email it would
/// make that inbox look shared.
pub fn unify_contacts_with(activities: &mut [Activity], refusals: &mut [Activity]) -> usize {
    // None: two ids carry the email (a shared inbox, info@…): whose the rows are is unknown.
    let mut id_of_email: BTreeMap<String, Option<String>> = BTreeMap::new();
    for a in activities.iter() {
        if let Some(e) = a.email.as_deref().filter(|_| !a.contact.contains('@')) {
            id_of_email
                .entry(e.trim().to_lowercase())
                .and_modify(|id| {
                    if id.as_deref() != Some(a.contact.as_str()) {
                        *id = None;
                    }
                })
                .or_insert_with(|| Some(a.contact.clone()));
        }
    }
    let mut moved = 0;
    for a in activities
        .iter_mut()
        .chain(refusals.iter_mut())
        .filter(|a| a.contact.contains('@'))
    {
        if let Some(Some(id)) = id_of_email.get(&a.contact.trim().to_lowercase()) {
            let email = std::mem::replace(&mut a.contact, id.clone());
            a.email.get_or_insert(email);
            moved += 1;
        }
    }
    moved
}

/// Drops repeated events and returns how many were dropped. Two rows are one event when they
/// have the same contact, event type, timestamp and page: overlapping weekly exports, a tracker
/// that retries, or a row pasted twice would otherwise score the same download or form twice.
/// Unlike sales lines (where two identical lines of one order can both be real, so only copies
/// delivered by a second source are dropped), an activity row carries no quantity: one person
/// cannot submit the same form on the same page twice in the same instant, so repeats count once
/// within a file as well as across files. The first row (in file order) is kept, and an email or
/// job title only a later copy has fills its gap, so no information is lost by dropping it.
pub fn dedup_activity(activities: &mut Vec<Activity>) -> usize {
    type Key<'a> = (&'a str, &'a str, i64, Option<&'a str>);
    fn key(a: &Activity) -> Key<'_> {
        (&a.contact, &a.event_type, a.ts, a.page.as_deref())
    }
    // Sorting positions rather than rows keeps the kept rows in their input order; equal keys
    // end up side by side with the earliest row first.
    let mut order: Vec<usize> = (0..activities.len()).collect();
    order.sort_by(|&x, &y| key(&activities[x]).cmp(&key(&activities[y])).then(x.cmp(&y)));
    let mut drop = vec![false; activities.len()];
    let mut fills: Vec<(usize, usize)> = Vec::new();
    let mut first = None;
    for &i in &order {
        match first {
            Some(f) if key(&activities[f]) == key(&activities[i]) => {
                drop[i] = true;
                fills.push((f, i));
            }
            _ => first = Some(i),
        }
    }
    for (keep, dup) in fills {
        if activities[keep].email.is_none() {
            activities[keep].email = activities[dup].email.take();
        }
        if activities[keep].job_title.is_none() {
            activities[keep].job_title = activities[dup].job_title.take();
        }
    }
    let dropped = drop.iter().filter(|&&d| d).count();
    let mut i = 0;
    activities.retain(|_| {
        i += 1;
        !drop[i - 1]
    });
    dropped
}

/// The time of an event without one (a refusal kept from a row quarantined for its date, see
/// `curated/refusals`): after any run date, so it is never scored nor cut off, and refuses as
/// any unsubscribe does, whatever its date. A dateless refusal is the latest word: no earlier
/// or later "yes" undoes it (no "yes" undoes any refusal).
pub const UNDATED: i64 = i64::MAX;

/// Reads curated activity Parquet files (in the given order); a row without a time is
/// [`UNDATED`].
pub fn read_activity(files: &[PathBuf]) -> Result<Vec<Activity>> {
    let mut out = Vec::new();
    for path in files {
        let file = File::open(path).map_err(|e| EngineError::io(path, e))?;
        let builder = ParquetRecordBatchReaderBuilder::try_new(file)?;
        let wanted = [
            "contact_id",
            "email",
            "phone",
            "event_type",
            "event_ts",
            "page",
            "job_title",
        ];
        let schema = builder.parquet_schema();
        let idx: Vec<usize> = (0..schema.num_columns())
            .filter(|i| wanted.contains(&schema.column(*i).name()))
            .collect();
        let mask = ProjectionMask::leaves(schema, idx);
        for batch in builder.with_projection(mask).build()? {
            let b = batch?;
            let col = |n: &str| {
                b.column_by_name(n)
                    .ok_or_else(|| EngineError::Invalid(format!("{}: no column {n}", path.display())))
            };
            let contact = col("contact_id")?.as_string::<i32>().clone();
            let email = col("email")?.as_string::<i32>().clone();
            let event = col("event_type")?.as_string::<i32>().clone();
            let ts = col("event_ts")?
                .as_primitive::<TimestampMicrosecondType>()
                .clone();
            let page = col("page")?.as_string::<i32>().clone();
            let title = col("job_title")?.as_string::<i32>().clone();
            // Files written before schema version 3 have no phone column.
            let phone = b.column_by_name("phone").map(|c| c.as_string::<i32>().clone());
            let opt = |a: &arrow::array::StringArray, i: usize| a.is_valid(i).then(|| a.value(i).to_string());
            for i in 0..b.num_rows() {
                out.push(Activity {
                    contact: contact.value(i).to_string(),
                    email: opt(&email, i),
                    phone: phone.as_ref().and_then(|p| opt(p, i)),
                    event_type: event.value(i).to_string(),
                    ts: if ts.is_valid(i) { ts.value(i) } else { UNDATED },
                    page: opt(&page, i),
                    job_title: opt(&title, i),
                });
            }
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    const DAY: i64 = 86_400_000_000;

    fn act(contact: &str, event: &str, day: i64, title: Option<&str>, page: Option<&str>) -> Activity {
        Activity {
            contact: contact.into(),
            email: None,
            phone: None,
            event_type: event.into(),
            ts: day * DAY,
            page: page.map(str::to_string),
            job_title: title.map(str::to_string),
        }
    }

    /// A contact with nothing but unscored events (an SMS line's questions, the shop's own line
    /// in a message log) is no lead; one with a scored event beside them is.
    #[test]
    fn contacts_without_scored_events_are_no_leads() {
        let acts = vec![
            act("+18005550199", "other", 1, None, None),
            act("+18005550199", "other", 2, None, None),
            act("+14155550101", "other", 1, None, None),
            act("+14155550101", "page_view", 2, None, None),
            act("+14155550102", "unsubscribe", 3, None, None),
        ];
        let leads = score_leads(&acts, &LeadScoring::default(), 10 * DAY);
        let contacts: Vec<&str> = leads.iter().map(|l| l.contact.as_str()).collect();
        assert_eq!(contacts, ["+14155550101", "+14155550102"]);
    }

    /// An event of `contact` (with `email`) of `kind` at `ts`, nothing else known.
    fn at(contact: &str, email: Option<&str>, kind: &str, ts: i64) -> Activity {
        Activity {
            contact: contact.into(),
            email: email.map(str::to_string),
            phone: None,
            event_type: kind.into(),
            ts,
            page: None,
            job_title: None,
        }
    }

    /// Refusals kept from quarantined rows move to the id whose rows carry their email, as the
    /// activity's own rows do; but a sales export's customer number with an email is no contact
    /// id of the activity: beside the CRM's id with the same email it must not make the inbox
    /// look shared and keep the newsletter's rows from their contact.
    #[test]
    fn refusals_move_to_their_contact_without_saying_who_has_an_email() {
        let mut acts = vec![
            at("crm-7", Some("ann@x.example"), "download", 1),
            at("ann@x.example", None, "newsletter_signup", 2),
            at("crm-8", Some("bob@x.example"), "download", 3),
        ];
        let mut refusals = vec![
            at("C-21", Some("ann@x.example"), "unsubscribe", UNDATED),
            at("bob@x.example", Some("bob@x.example"), "unsubscribe", UNDATED),
        ];
        assert_eq!(unify_contacts_with(&mut acts, &mut refusals), 2);
        let contacts = |a: &[Activity]| -> Vec<String> { a.iter().map(|a| a.contact.clone()).collect() };
        assert_eq!(contacts(&acts), ["crm-7", "crm-7", "crm-8"]);
        assert_eq!(contacts(&refusals), ["C-21", "crm-8"]);
        // Never scored: an undated refusal is after any run date.
        let leads = score_leads(&[acts, refusals].concat(), &LeadScoring::default(), 10 * DAY);
        assert!(
            leads.iter().all(|l| !l.unsubscribed && l.contact != "C-21"),
            "{leads:?}"
        );
    }

    #[test]
    fn one_person_keyed_by_id_in_one_export_and_by_email_in_another_is_one_lead() {
        let mut acts = vec![
            at("P-1", Some("P1@ir.example"), "download", 1),
            at("p1@ir.example", None, "newsletter_signup", 2),
            // The same download, exported by the newsletter tool too: one event.
            at("p1@ir.example", None, "download", 1),
            at("other@ir.example", None, "page_view", 3),
            // A shared inbox: two people's rows carry it, so its own rows stay its own.
            at("A-1", Some("info@co.example"), "download", 4),
            at("A-2", Some("info@co.example"), "download", 5),
            at("info@co.example", None, "page_view", 6),
        ];
        assert_eq!(unify_contacts(&mut acts), 2);
        assert_eq!(dedup_activity(&mut acts), 1);
        let contacts: Vec<(&str, Option<&str>)> = acts
            .iter()
            .map(|a| (a.contact.as_str(), a.email.as_deref()))
            .collect();
        assert_eq!(
            contacts,
            [
                ("P-1", Some("P1@ir.example")),
                ("P-1", Some("p1@ir.example")),
                ("other@ir.example", None),
                ("A-1", Some("info@co.example")),
                ("A-2", Some("info@co.example")),
                ("info@co.example", None)
            ]
        );
        let leads = score_leads(&acts, &LeadScoring::default(), 10);
        assert_eq!(leads.len(), 5);
    }

    #[test]
    fn repeated_events_count_once_within_and_across_files() {
        let c = LeadScoring::default();
        let mut acts = vec![
            // Week 1 export.
            act("L1", "form_submit", 1, None, None),
            act("L1", "download", 2, None, Some("/guide.pdf")),
            // The same form pasted twice in one file.
            act("L2", "form_submit", 1, None, None),
            act("L2", "form_submit", 1, None, None),
            // Week 2 export repeats the day-2 download (with a job title this time), then a
            // new download of the same file and one of another file on the same day.
            act("L1", "download", 2, Some("CEO"), Some("/guide.pdf")),
            act("L1", "download", 5, None, Some("/guide.pdf")),
            act("L1", "download", 5, None, Some("/pricing.pdf")),
        ];
        assert_eq!(dedup_activity(&mut acts), 2);
        assert_eq!(acts.len(), 5);
        assert_eq!(
            acts[1].job_title.as_deref(),
            Some("CEO"),
            "the later copy's title fills the kept row"
        );
        let s = score_leads(&acts, &c, 10 * DAY);
        let by = |id: &str| s.iter().find(|l| l.contact == id).unwrap().score;
        // The lead is a CEO (the title its day-2 row gives): form 40×2 + three downloads 30×2.
        assert_eq!(by("L1"), 260.0);
        assert_eq!(by("L2"), 40.0);
        // Kept rows stay in input order.
        let order: Vec<(&str, i64)> = acts.iter().map(|a| (a.contact.as_str(), a.ts / DAY)).collect();
        assert_eq!(order, [("L1", 1), ("L1", 2), ("L2", 1), ("L1", 5), ("L1", 5)]);
    }

    #[test]
    fn band_edges() {
        let c = LeadScoring::default();
        assert_eq!(c.band(99.0), Band::Weak);
        assert_eq!(c.band(99.99), Band::Weak);
        assert_eq!(c.band(100.0), Band::Medium);
        assert_eq!(c.band(200.0), Band::Medium);
        assert_eq!(c.band(200.01), Band::Strong);
        assert_eq!(c.band(201.0), Band::Strong);
        assert_eq!(c.band(-20.0), Band::Weak);
    }

    #[test]
    fn persian_and_percent_encoded_key_pages() {
        let c = LeadScoring::default();
        let encoded: String = "/قیمت"
            .bytes()
            .map(|b| {
                if b.is_ascii() {
                    (b as char).to_string()
                } else {
                    format!("%{b:02X}")
                }
            })
            .collect();
        for (page, bonus) in [
            ("/Pricing", 10.0),
            ("/قیمت\u{200c}ها", 10.0),
            ("/قيمت", 10.0),
            (encoded.as_str(), 10.0),
            ("/fa/تماس-با-ما", 8.0),
            ("/blog/سفارش", 0.0),
            ("/%ZZ", 0.0),
            ("/%", 0.0),
            ("/%D9", 0.0),
            // Words that merely begin or end like a key page are not one.
            ("/blog/دموکراسی-دیجیتال", 0.0),
            ("/demographics", 0.0),
            ("/بی\u{200c}قیمت", 0.0),
            ("/demos", 10.0),
            ("/pricing-plans", 10.0),
            ("/ContactUs", 8.0),
            ("/request-a-demo", 10.0),
            ("/get-a-quote", 8.0),
            ("/fa/لیست-قیمت", 10.0),
            // A product page named for its price is no pricing page.
            ("/product/خرید-و-قیمت-گوشی-سامسونگ", 0.0),
            ("/blog/why-pricing-matters", 0.0),
            ("/products?page=pricing", 10.0),
            ("/پیش\u{200c}فاکتور", 8.0),
            ("/قیمتها", 10.0),
        ] {
            assert_eq!(c.page_bonus(Some(page)), bonus, "{page}");
        }
    }

    #[test]
    fn points_arithmetic_with_titles_key_pages_and_unsubscribes() {
        let c = LeadScoring::default();
        let acts = vec![
            // CEO: download 30×2 + form 40×2 + pricing view 2+10 = 152
            act("ceo", "download", 1, Some("CEO"), None),
            act("ceo", "form_submit", 2, Some("CEO"), Some("/demo")),
            act("ceo", "page_view", 3, Some("CEO"), Some("/pricing")),
            // Intern: the same activities: 30×0.5 + 40×0.5 + 12 = 47
            act("intern", "download", 1, Some("Marketing Intern"), None),
            act("intern", "form_submit", 2, Some("Marketing Intern"), None),
            act(
                "intern",
                "page_view",
                3,
                Some("Marketing Intern"),
                Some("/pricing"),
            ),
            // Newsletter then unsubscribe: 20 − 50 = −30
            act("gone", "newsletter_signup", 1, None, None),
            act("gone", "unsubscribe", 2, None, None),
            // After the run date: ignored.
            act("late", "form_submit", 99, Some("CEO"), None),
        ];
        let s = score_leads(&acts, &c, 10 * DAY);
        let by = |id: &str| s.iter().find(|l| l.contact == id).unwrap();
        assert_eq!(by("ceo").score, 152.0);
        assert_eq!(by("ceo").band, Band::Medium);
        assert_eq!(by("intern").score, 47.0);
        assert_eq!(by("gone").score, -30.0);
        assert!(by("gone").unsubscribed && !by("ceo").unsubscribed);
        assert!(s.iter().all(|l| l.contact != "late"));
        assert_eq!(s[0].contact, "ceo", "sorted by score");
        assert_eq!(
            by("ceo").contributions_text(),
            "form_submit×1 +80, download×1 +60, page_view×1 +12"
        );
    }

    /// The title sits on one row (the CRM's or the form's): every download and form of the lead
    /// weighs by the title the lead is listed with, not by the title of its own row.
    #[test]
    fn downloads_and_forms_weigh_by_the_leads_listed_title() {
        let c = LeadScoring::default();
        let acts = vec![
            act("K1", "page_view", 1, Some("CEO"), Some("/blog")),
            act("K1", "download", 1, None, Some("/wp")),
            act("K2", "download", 1, None, Some("/wp")),
            act("K2", "page_view", 2, Some("CEO"), Some("/blog")),
            act("K3", "form_submit", 1, Some("Intern"), Some("/f")),
            act("K3", "form_submit", 5, Some("CEO"), Some("/f2")),
            // A blank title is no title.
            act("K4", "form_submit", 1, Some("Intern"), None),
            act("K4", "form_submit", 2, Some(" "), None),
            // A title given after the run date is not known yet.
            act("K5", "download", 1, None, None),
            act("K5", "page_view", 99, Some("CEO"), None),
        ];
        let s = score_leads(&acts, &c, 10 * DAY);
        let by = |id: &str| s.iter().find(|l| l.contact == id).unwrap();
        for (id, title, score, text) in [
            ("K1", Some("CEO"), 62.0, "download×1 +60, page_view×1 +2"),
            ("K2", Some("CEO"), 62.0, "download×1 +60, page_view×1 +2"),
            ("K3", Some("CEO"), 160.0, "form_submit×2 +160"),
            ("K4", Some("Intern"), 40.0, "form_submit×2 +40"),
            ("K5", None, 30.0, "download×1 +30"),
        ] {
            assert_eq!(
                (
                    by(id).job_title.as_deref(),
                    by(id).score,
                    by(id).contributions_text().as_str()
                ),
                (title, score, text),
                "{id}"
            );
        }
    }

    #[test]
    fn strong_leads_and_grades() {
        let c = LeadScoring::default();
        let acts: Vec<Activity> = (0..3)
            .map(|d| act("vp", "form_submit", d, Some("VP Sales"), None))
            .collect();
        let s = score_leads(&acts, &c, 5 * DAY);
        assert_eq!(s[0].score, 204.0, "3 × 40 × 1.7");
        assert_eq!(s[0].band, Band::Strong);
        // Against a nothing-known fit of 20 (odds 1:4): 40 is odds 2:3, ×2.67; 25 is ×1.33.
        assert_eq!(grade(40.0, 20.0, Band::Strong), "A1");
        assert_eq!(grade(38.0, 20.0, Band::Medium), "B2");
        assert_eq!(grade(25.0, 20.0, Band::Weak), "B3");
        assert_eq!(grade(20.0, 20.0, Band::Strong), "C1");
        assert_eq!(grade(10.0, 20.0, Band::Strong), "C1");
        // Against 80 (odds 4:1), 83 is hardly better than anyone (×1.22): the letter follows the
        // evidence, not the size of the ideal group.
        assert_eq!(grade(83.0, 80.0, Band::Strong), "C1");
        assert_eq!(grade(91.0, 80.0, Band::Strong), "A1");
        assert_eq!(grade(100.0, 80.0, Band::Weak), "A3");
    }

    #[test]
    fn decay_halves_points_per_half_life() {
        let c = LeadScoring {
            half_life_days: Some(30.0),
            ..LeadScoring::default()
        };
        let s = score_leads(&[act("a", "video_view", 0, None, None)], &c, 30 * DAY);
        assert_eq!(s[0].score, 7.5);
    }

    #[test]
    fn titles_match_whole_words_for_short_patterns() {
        let c = LeadScoring::default();
        assert_eq!(c.title_weight(Some("Team Lead")), 1.4);
        assert_eq!(c.title_weight(Some("Leadership coach")), 1.0);
        assert_eq!(c.title_weight(Some("مدیرعامل")), 2.0);
        assert_eq!(c.title_weight(None), 1.0);
    }

    #[test]
    fn titles_match_whole_words_and_c_level_abbreviations() {
        let c = LeadScoring::default();
        for (title, weight) in [
            // "intern" is not a word of "Internal".
            ("Internal Auditor", 1.0),
            ("Marketing Intern", 0.5),
            ("Product Owner", 1.0),
            ("Owner", 2.0),
            ("Co-Owner & Managing Director", 2.0),
            ("Co-Founder", 2.0),
            ("Cofounder", 2.0),
            ("CTO", 2.0),
            ("CFO / COO", 2.0),
            ("cmo", 2.0),
            ("CIO", 2.0),
            ("CxO", 2.0),
            ("Chief Revenue Officer", 2.0),
            ("Vice-President Sales", 1.7),
            ("V.P. Engineering", 1.7),
            ("Head of Marketing", 1.7),
            ("Cisco Engineer", 1.0),
            // German compounds.
            ("Vertriebsleiterin", 1.7),
            ("Geschäftsführer", 2.0),
            ("Projektmanager", 1.4),
            ("Student", 0.5),
        ] {
            assert_eq!(c.title_weight(Some(title)), weight, "{title}");
        }
    }

    #[test]
    fn assistants_transcriptions_team_leaders_and_french_titles() {
        let c = LeadScoring::default();
        for (title, weight) in [
            // An assistant's title names whom they assist: they weigh as an assistant.
            ("Assistant to the CEO", 0.7),
            ("Executive Assistant to the Managing Director", 0.7),
            ("Secretary to the CEO", 0.7),
            ("PA to CEO", 0.7),
            ("Assistentin der Geschäftsführung", 0.7),
            ("Assistenz der Geschaeftsleitung", 0.7),
            ("Geschäftsführungsassistentin", 0.7),
            ("Assistante de direction", 0.7),
            ("دستیار مدیرعامل", 0.7),
            ("Deputy CEO", 2.0),
            ("Company Secretary", 1.0),
            // Whom they assist named first.
            ("CEO Assistant", 0.7),
            ("CEO's Assistant", 0.7),
            ("Marketing Director PA", 0.7),
            ("Assistant Manager", 1.4),
            // Heads of the firm, in English and German; a vice president is one rung below.
            ("President", 2.0),
            ("President & Founder", 2.0),
            ("Vice President Sales", 1.7),
            ("Vice-President", 1.7),
            ("Inhaber", 2.0),
            ("Inhaberin", 2.0),
            ("Geschäftsinhaber", 2.0),
            ("Mitinhaber", 2.0),
            ("Student Council President", 0.5),
            ("Co-President", 2.0),
            ("Company President", 2.0),
            ("Past President", 1.0),
            ("Former President", 1.0),
            ("Chapter President", 1.0),
            ("PTA President", 1.0),
            ("Assistant to the President", 0.7),
            // German titles however the umlauts are typed.
            ("Geschaeftsfuehrer", 2.0),
            ("GESCHAEFTSFUEHRERIN", 2.0),
            ("Geschäftsführer", 2.0),
            ("Gescha\u{308}ftsfu\u{308}hrer", 2.0),
            // A team's lead, in English and German.
            ("Team Lead", 1.4),
            ("Team Leader", 1.4),
            ("Teamleiter", 1.4),
            ("Teamleiterin Vertrieb", 1.4),
            ("Vertriebsleiter", 1.7),
            ("Lead Generation Specialist", 1.0),
            ("Lead Developer", 1.4),
            // French.
            ("Directeur Général", 2.0),
            ("Directeur General", 2.0),
            ("Directrice générale", 2.0),
            ("PDG", 2.0),
            ("Président-Directeur Général", 2.0),
            ("Gérant", 2.0),
            ("Gérante", 2.0),
            ("Directeur commercial", 1.7),
        ] {
            assert_eq!(c.title_weight(Some(title)), weight, "{title}");
        }
    }

    #[test]
    fn persian_titles_weigh_alike_however_they_are_typed() {
        let c = LeadScoring::default();
        for title in [
            "مدیرعامل",
            "مدیر عامل",
            "مدیر\u{200c}عامل",
            // Arabic yeh, as Arabic keyboards type it.
            "مدير عامل",
            "مدیـرعامل",
        ] {
            assert_eq!(c.title_weight(Some(title)), 2.0, "{title:?}");
        }
        assert_eq!(c.title_weight(Some("مدیر فروش")), 1.4);
        // The ezafe written after a final vowel: «دانشجوی ارشد» (graduate student) is a «دانشجو».
        for title in ["دانشجوی ارشد", "دانشجوي ارشد", "دانشجوی کارشناسی ارشد", "دانشجوی"]
        {
            assert_eq!(c.title_weight(Some(title)), 0.5, "{title:?}");
        }
        // ... but only there: these are other words, not a rule word with an ezafe.
        for title in [
            // Student affairs officer: «دانشجویی» is an adjective.
            "کارشناس امور دانشجویی",
            // "Internship coordinator": «کارآموزی» is internship, not «کارآموز» + ezafe.
            "هماهنگ کننده کارآموزی",
            // Management, managing.
            "کارشناس مدیری",
            "دانشجویان",
        ] {
            assert_eq!(c.title_weight(Some(title)), 1.0, "{title:?}");
        }
        let custom = LeadScoring {
            job_titles: vec![rule("دانشجو ارشد", 0.8), rule("استاد", 1.3)],
            ..LeadScoring::default()
        };
        assert_eq!(custom.title_weight(Some("دانشجوی ارشد")), 0.8);
        assert_eq!(
            custom.title_weight(Some("استادی")),
            1.0,
            "a consonant before the yeh"
        );
        // "مدیریت" (management) is another word, not "مدیر" (manager).
        assert_eq!(c.title_weight(Some("کارشناس مدیریت")), 1.0);
        for title in ["کارآموز", "كارآموز", "کار\u{200c}آموز", "کارآموز فروش"]
        {
            assert_eq!(c.title_weight(Some(title)), 0.5, "{title:?}");
        }
        // Patterns are normalised too: a table written with spaces or Arabic letters works.
        let custom = LeadScoring {
            job_titles: vec![rule("مدير عامل", 3.0)],
            ..LeadScoring::default()
        };
        assert_eq!(custom.title_weight(Some("مدیرعامل")), 3.0);
    }

    /// The same person must not score differently because the CRM is in Persian: each pair is
    /// one title in both languages.
    #[test]
    fn persian_titles_weigh_as_their_english_equivalents() {
        let c = LeadScoring::default();
        for (english, persian) in [
            ("CEO", "مدیرعامل"),
            ("Managing Director", "مدیر عامل"),
            ("Chief Executive Officer", "مدیر ارشد اجرایی"),
            ("CTO", "مدیر ارشد فناوری"),
            ("CFO", "مدیر ارشد مالی"),
            ("COO", "مدیر ارشد عملیات"),
            ("CMO", "مدیر ارشد بازاریابی"),
            ("CIO", "مدیر ارشد اطلاعات"),
            ("Founder", "بنیان‌گذار"),
            ("Co-Founder", "هم‌بنیان‌گذار"),
            ("Founder", "مؤسس"),
            ("Owner", "مالک"),
            ("VP Sales", "معاون فروش"),
            ("Vice President Marketing", "معاون بازاریابی"),
            ("Sales Director", "مدیر ارشد فروش"),
            ("Head of IT", "رئیس واحد فناوری اطلاعات"),
            ("Head of Sales", "رییس فروش"),
            ("Procurement Manager", "مدیر خرید"),
            ("Sales Manager", "مدیر فروش"),
            ("Marketing Manager", "مدير بازاريابي"),
            ("Team Lead", "سرپرست تیم"),
            ("Sales Specialist", "کارشناس فروش"),
            ("Analyst", "تحلیلگر"),
            ("Senior Specialist", "کارشناس ارشد"),
            ("Accountant", "حسابدار"),
            ("Marketing Intern", "کارآموز بازاریابی"),
            ("Student", "دانشجو"),
            ("Student", "دانش‌آموز"),
            ("Assistant", "دستیار"),
        ] {
            assert_eq!(
                c.title_weight(Some(persian)),
                c.title_weight(Some(english)),
                "{english} / {persian}"
            );
        }
        // The two titles of the report: the same lead, the same weight.
        assert_eq!(c.title_weight(Some("مدیر خرید")), 1.4);
        // A deputy CEO is weighed by the CEO in the title, in either language.
        assert_eq!(
            c.title_weight(Some("معاون مدیرعامل")),
            c.title_weight(Some("Deputy CEO"))
        );
    }

    #[test]
    fn invalid_tables_are_refused_before_scoring() {
        let bad = LeadScoring {
            medium_from: 300.0,
            ..LeadScoring::default()
        };
        assert!(bad.check().is_err());
        let bad = LeadScoring {
            half_life_days: Some(0.0),
            ..LeadScoring::default()
        };
        assert!(bad.check().is_err());
        assert!(LeadScoring::default().check().is_ok());
    }
}
