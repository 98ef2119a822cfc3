//! The optional curated customers dataset: descriptive attributes joined onto the features.

use std::borrow::Cow;
use std::collections::HashMap;
use std::path::PathBuf;

use arrow::array::{Array, AsArray};
use arrow::datatypes::{DataType, Date32Type, Int32Type};

use super::SegmentError;
use super::interner::Interner;
use super::sales::{arrow_err, column, open_parquet, projected_reader, str_at};

/// One customer's attributes; strings are interned in the shared `strings` interner.
#[derive(Clone, Copy, Debug, Default)]
pub(super) struct Attrs {
    pub age: Option<i32>,
    /// Days since 1970-01-01.
    pub birth_date: Option<i32>,
    pub signup_date: Option<i32>,
    pub gender: Option<u32>,
    pub city: Option<u32>,
    pub country: Option<u32>,
    pub job_title: Option<u32>,
    pub marketing_consent: Option<bool>,
    /// Lower-cased, to match activity contacts that carry only an email.
    pub email: Option<u32>,
    /// In its key form (`+989121234567`, see [`crate::values::phone_key`]), to match buyers and
    /// contacts an Iranian shop knows by their mobile alone.
    pub phone: Option<u32>,
}

impl Attrs {
    /// Whether the record says anything of the person beyond their addresses, consent and
    /// signup (which the sales' link rows date at the first order).
    fn describes(&self) -> bool {
        self.age.is_some()
            || self.birth_date.is_some()
            || self.gender.is_some()
            || self.city.is_some()
            || self.country.is_some()
            || self.job_title.is_some()
    }
}

const COLUMNS: [&str; 12] = [
    "source_key",
    "customer_id",
    "age",
    "birth_date",
    "signup_date",
    "gender",
    "city",
    "country",
    "job_title",
    "marketing_consent",
    "email",
    "phone",
];

/// Lower-cased email or phone key → customer number, from the customers files, for addresses that
/// one number alone has. Sales keyed by email (Shopify) or by mobile (an Iranian shop) are read
/// under that number (see [`super::sales::read_sales`]). Files written before the `phone` column
/// existed give emails only.
///
/// Records keyed by an address lead on: a guest checkout's link (its email → its mobile) and the
/// number's (57 → the same email) make the mobile 57's too. An address is the one customer every
/// path from it ends at; paths to two customer numbers (a family's email) name neither.
pub(super) fn contact_aliases(files: &[PathBuf]) -> Result<HashMap<String, String>, SegmentError> {
    let mut files = files.to_vec();
    files.sort();
    files.dedup();
    // Address → the records that give it (a few; more is a shared inbox, and names no one).
    let mut targets: HashMap<String, Vec<String>> = HashMap::new();
    for path in &files {
        let reader = projected_reader(path, open_parquet(path)?, &["customer_id", "email", "phone"])?;
        for batch in reader {
            let batch = batch.map_err(|e| arrow_err(path, e))?;
            let Some(cid) = column(path, &batch, "customer_id", &DataType::Utf8, true)? else {
                continue;
            };
            let cid = cid.as_string::<i32>();
            let email = column(path, &batch, "email", &DataType::Utf8, false)?;
            let phone = column(path, &batch, "phone", &DataType::Utf8, false)?;
            let (email, phone) = (
                email.as_ref().map(|a| a.as_string::<i32>()),
                phone.as_ref().map(|a| a.as_string::<i32>()),
            );
            for i in 0..batch.num_rows() {
                let Some(id) = str_at(Some(cid), i) else {
                    continue;
                };
                // A mobile in its one form: sales keyed `tel:9…` are looked up so (see
                // `super::sales::alias`).
                let addresses = [
                    str_at(email, i).map(|e| e.trim().to_lowercase()),
                    str_at(phone, i).map(|p| crate::values::canonical_mobile(p).into_owned()),
                ];
                for e in addresses.into_iter().flatten() {
                    if e != id {
                        let ids = targets.entry(e).or_default();
                        if ids.len() <= MAX_TARGETS && !ids.iter().any(|t| t == id) {
                            ids.push(id.to_string());
                        }
                    }
                }
            }
        }
    }
    // An address two numbers share (a family's, an office's) names neither: its purchases stay
    // under the address.
    Ok(targets
        .keys()
        .filter_map(|a| Some((a.clone(), resolve(&targets, a)?)))
        .collect())
}

/// Records one address may name before it is taken for a shared one.
const MAX_TARGETS: usize = 8;

/// The one customer every path from `address` through `targets` ends at: a record no address
/// leads on from (a customer number, or an address-keyed record with no other), or, when the
/// records only lead to one another (an email-keyed record giving a mobile and a mobile-keyed
/// one giving the email), the first of them in id order, the same from each (None for that one
/// itself). None for two ends, or a path longer than a household's.
fn resolve(targets: &HashMap<String, Vec<String>>, address: &str) -> Option<String> {
    let mut seen: Vec<&str> = vec![address];
    let mut ends: Vec<&str> = Vec::new();
    let mut i = 0;
    while let Some(&a) = seen.get(i) {
        i += 1;
        for t in targets.get(a).into_iter().flatten() {
            if seen.contains(&t.as_str()) {
                continue;
            }
            if seen.len() > 4 * MAX_TARGETS {
                return None;
            }
            seen.push(t);
            if !targets.contains_key(t.as_str()) {
                ends.push(t);
            }
        }
    }
    match ends.as_slice() {
        [one] => Some(one.to_string()),
        [] => seen
            .iter()
            .min()
            .filter(|first| **first != address)
            .map(|s| s.to_string()),
        _ => None,
    }
}

fn as_written(value: &str) -> &str {
    value
}

/// Per customer: the row that last gave each descriptive attribute (age, birth date, gender,
/// city, country, job title), counted over every customers file in path order from 1; 0 for
/// none. Two records of one person (see [`fold_by_contact`]) give each attribute from the last
/// row read that has one, as two rows of one record do.
type Seen = [u32; 6];

/// What the customers dataset says, by customer index.
pub(super) struct CustomersRead {
    /// Attributes indexed like `ids`.
    pub attrs: Vec<Option<Attrs>>,
    /// Rows read of customer lists.
    pub rows: u64,
    /// Rows read that are a sales export's links (see `ingest::convert::contacts`).
    pub links: u64,
    /// Records folded into a buyer with their email or phone: (record id, buyer id), see
    /// [`fold_by_contact`].
    pub merged: Vec<(u32, u32)>,
}

/// Reads the customers files in path order; for a customer id seen several times each attribute
/// comes from the last row that has one ([`merged`]), and a refusal of marketing in any row stands.
/// Customers first seen here are appended to `ids`.
pub(super) fn read_customers(
    files: &[PathBuf],
    aliases: &HashMap<String, String>,
    ids: &mut Interner,
    strings: &mut Interner,
) -> Result<CustomersRead, SegmentError> {
    let mut files = files.to_vec();
    files.sort();
    files.dedup();
    let mut attrs: Vec<Option<Attrs>> = Vec::new();
    let mut seen: Vec<Seen> = Vec::new();
    let mut read = 0u32;
    let (mut rows, mut links) = (0u64, 0u64);
    // Per customer whose email or phone a link gave: the day that link's order was placed.
    let mut link_days: HashMap<usize, (Option<i32>, Option<i32>)> = HashMap::new();
    let known = ids.len();
    let sales_sources = format!("incoming/{}/", crate::schema::Dataset::Sales.name());
    for path in &files {
        let reader = projected_reader(path, open_parquet(path)?, &COLUMNS)?;
        for batch in reader {
            let batch = batch.map_err(|e| arrow_err(path, e))?;
            let utf8 = |name: &str, req: bool| column(path, &batch, name, &DataType::Utf8, req);
            let (cid, gender, city, country, job) = (
                utf8("customer_id", true)?,
                utf8("gender", false)?,
                utf8("city", false)?,
                utf8("country", false)?,
                utf8("job_title", false)?,
            );
            let age = column(path, &batch, "age", &DataType::Int32, false)?;
            let birth = column(path, &batch, "birth_date", &DataType::Date32, false)?;
            let signup = column(path, &batch, "signup_date", &DataType::Date32, false)?;
            let consent = column(path, &batch, "marketing_consent", &DataType::Boolean, false)?;
            let (email, phone) = (utf8("email", false)?, utf8("phone", false)?);
            let email = email.as_ref().map(|a| a.as_string::<i32>());
            let phone = phone.as_ref().map(|a| a.as_string::<i32>());
            let source = utf8("source_key", false)?;
            let source = source.as_ref().map(|a| a.as_string::<i32>());

            let cid = cid.as_ref().map(|a| a.as_string::<i32>());
            let gender = gender.as_ref().map(|a| a.as_string::<i32>());
            let city = city.as_ref().map(|a| a.as_string::<i32>());
            let country = country.as_ref().map(|a| a.as_string::<i32>());
            let job = job.as_ref().map(|a| a.as_string::<i32>());
            let age = age.as_ref().map(|a| a.as_primitive::<Int32Type>());
            let birth = birth.as_ref().map(|a| a.as_primitive::<Date32Type>());
            let signup = signup.as_ref().map(|a| a.as_primitive::<Date32Type>());
            let consent = consent.as_ref().map(|a| a.as_boolean());

            for i in 0..batch.num_rows() {
                // A sales export's link (see `ingest::convert::contacts`) says which addresses a
                // number has, not which one the customer now wants used: a customer list's
                // address stands whichever file is read first.
                let link = str_at(source, i).is_some_and(|k| k.starts_with(&sales_sources));
                rows += u64::from(!link);
                links += u64::from(link);
                let Some(id) = str_at(cid, i) else { continue };
                let c = ids.intern(id) as usize;
                if attrs.len() <= c {
                    attrs.resize(c + 1, None);
                    seen.resize(c + 1, [0; 6]);
                }
                read = read.saturating_add(1);
                let mut s = |a, shown: fn(&str) -> &str| str_at(a, i).map(|v| strings.intern(shown(v)));
                let earlier = attrs[c];
                let row = Attrs {
                    age: age.filter(|a| a.is_valid(i)).map(|a| a.value(i)),
                    birth_date: birth.filter(|a| a.is_valid(i)).map(|a| a.value(i)),
                    signup_date: signup.filter(|a| a.is_valid(i)).map(|a| a.value(i)),
                    gender: s(gender, as_written),
                    city: s(city, as_written),
                    // As the sales rows' country is read, so that the two meet.
                    country: s(country, crate::values::country_shown),
                    job_title: s(job, as_written),
                    marketing_consent: consent.filter(|a| a.is_valid(i)).map(|a| a.value(i)),
                    email: str_at(email, i).map(|e| strings.intern(&e.trim().to_lowercase())),
                    phone: str_at(phone, i).map(|p| strings.intern(p)),
                };
                let day = row.signup_date;
                for (at, given) in seen[c].iter_mut().zip(described(&row)) {
                    if given {
                        *at = read;
                    }
                }
                attrs[c] = Some(match earlier {
                    Some(e) if link => {
                        let shown = link_days.entry(c).or_default();
                        Attrs {
                            email: newest(e.email, &mut shown.0, row.email, day),
                            phone: newest(e.phone, &mut shown.1, row.phone, day),
                            // Known since the earliest order that gave an address.
                            signup_date: match (e.signup_date, row.signup_date) {
                                (Some(a), Some(b)) => Some(a.min(b)),
                                (a, b) => a.or(b),
                            },
                            ..merged(row, e)
                        }
                    }
                    Some(e) => {
                        // A list's address is no link's any more.
                        if let Some(shown) = link_days.get_mut(&c) {
                            shown.0 = shown.0.filter(|_| row.email.is_none());
                            shown.1 = shown.1.filter(|_| row.phone.is_none());
                        }
                        merged(row, e)
                    }
                    None => {
                        if link {
                            link_days.insert(c, (row.email.and(day), row.phone.and(day)));
                        }
                        row
                    }
                });
            }
        }
    }
    // Records that share an email or a phone are one person for consent too: the activation
    // lists see to that (`activation::build`), for refusals here and unsubscribes alike.
    let merged = fold_by_contact(&mut attrs, &mut seen, known, aliases, ids, strings);
    Ok(CustomersRead {
        attrs,
        rows,
        links,
        merged,
    })
}

/// The address a customer is shown with, of two its orders' links give: the one first used in
/// the later order (a customer who changed their email is written at the new one), else the one
/// already shown. `shown_day`: the day of the link that gave `shown`, None when a customer list
/// did, whose address stands.
fn newest(
    shown: Option<u32>,
    shown_day: &mut Option<i32>,
    link: Option<u32>,
    day: Option<i32>,
) -> Option<u32> {
    match (shown, link) {
        (None, Some(_)) => {
            *shown_day = day;
            link
        }
        (Some(_), Some(_)) if shown_day.is_some() && day > *shown_day => {
            *shown_day = day;
            link
        }
        _ => shown,
    }
}

/// A later row of the same customer over an earlier one: each attribute from the later row when
/// it has one, else kept. A thinner export (no birth dates, no gender column) must not erase what
/// a fuller one said. File order says nothing about which export is newer (curated files are
/// named by source), so a refusal of marketing in any row stands: a stale "yes" must never undo a
/// withdrawal. A re-upload under the same key replaces its rows.
fn merged(later: Attrs, earlier: Attrs) -> Attrs {
    Attrs {
        age: later.age.or(earlier.age),
        birth_date: later.birth_date.or(earlier.birth_date),
        signup_date: later.signup_date.or(earlier.signup_date),
        gender: later.gender.or(earlier.gender),
        city: later.city.or(earlier.city),
        country: later.country.or(earlier.country),
        job_title: later.job_title.or(earlier.job_title),
        marketing_consent: match (later.marketing_consent, earlier.marketing_consent) {
            (_, Some(false)) => Some(false),
            (l, e) => l.or(e),
        },
        email: later.email.or(earlier.email),
        phone: later.phone.or(earlier.phone),
    }
}

/// Which of the descriptive attributes (in [`Seen`]'s order) `a` gives.
fn described(a: &Attrs) -> [bool; 6] {
    [
        a.age.is_some(),
        a.birth_date.is_some(),
        a.gender.is_some(),
        a.city.is_some(),
        a.country.is_some(),
        a.job_title.is_some(),
    ]
}

/// A record keyed by an address (a newsletter tool's list keyed by email, an SMS panel's by
/// mobile, a guest checkout's link) folded into the customer number that has the address: two
/// exports of one customer. Each descriptive attribute comes from the last row read that has
/// one, whichever record it was (`seen`, updated for `into`); the number's email and mobile
/// stand, the record's fill what it lacks; the sign-up is the earlier of the two (a link's is
/// the day of an order, not a sign-up); a refusal in either stands.
fn fold_record(into: Attrs, into_seen: &mut Seen, record: Attrs, record_seen: &Seen) -> Attrs {
    fn pick<T>(into: Option<T>, at: &mut u32, record: Option<T>, record_at: u32) -> Option<T> {
        match record {
            Some(_) if into.is_none() || record_at > *at => {
                *at = record_at;
                record
            }
            _ => into,
        }
    }
    let (s, r) = (into_seen, record_seen);
    Attrs {
        age: pick(into.age, &mut s[0], record.age, r[0]),
        birth_date: pick(into.birth_date, &mut s[1], record.birth_date, r[1]),
        gender: pick(into.gender, &mut s[2], record.gender, r[2]),
        city: pick(into.city, &mut s[3], record.city, r[3]),
        country: pick(into.country, &mut s[4], record.country, r[4]),
        job_title: pick(into.job_title, &mut s[5], record.job_title, r[5]),
        signup_date: earliest(into.signup_date, record.signup_date),
        marketing_consent: refusal_wins(into.marketing_consent, record.marketing_consent),
        email: into.email.or(record.email),
        phone: into.phone.or(record.phone),
    }
}

fn earliest(a: Option<i32>, b: Option<i32>) -> Option<i32> {
    match (a, b) {
        (Some(a), Some(b)) => Some(a.min(b)),
        (a, b) => a.or(b),
    }
}

/// One person's consent from two records: a refusal in either refuses; else either's yes.
fn refusal_wins(a: Option<bool>, b: Option<bool>) -> Option<bool> {
    match (a, b) {
        (Some(false), _) | (_, Some(false)) => Some(false),
        (a, b) => a.or(b),
    }
}

/// An id that is an address (an email or a phone key), not a customer number: a guest
/// checkout's, a newsletter tool's or an SMS panel's record.
pub(super) fn is_address(id: &str) -> bool {
    id.contains('@') || crate::values::is_phone_key(id)
}

/// Records `email` and `phone` (a mobile in its one form) as record `j`'s in `owner_of`; an
/// address two records have (a family's) names neither: None.
fn claim<'s>(
    owner_of: &mut HashMap<Cow<'s, str>, Option<usize>>,
    email: Option<&'s str>,
    phone: Option<&'s str>,
    j: usize,
) {
    let addresses = [
        email.map(Cow::Borrowed),
        phone.map(crate::values::canonical_mobile),
    ];
    for address in addresses.into_iter().flatten().filter(|e| !e.is_empty()) {
        owner_of
            .entry(address)
            .and_modify(|o| {
                if *o != Some(j) {
                    *o = None;
                }
            })
            .or_insert(Some(j));
    }
}

/// One person with two records: a buyer, and a record of the customers dataset alone (no
/// purchases) with the buyer's email or phone, e.g. a second registration, or the number of a
/// buyer the sales know by email or mobile while two numbers have it. The record folds into the
/// buyer: it is no prospect of its own, its refusal of marketing carries over, and activity under
/// its id counts for the buyer (the returned pairs, record → buyer, see [`super::activation`]). A
/// record keyed by the address (a newsletter list's) is another export of the buyer: its
/// attributes count by the last row read (see [`fold_record`]). Another number's (a second
/// registration) do only for a buyer without attributes of its own. `known` is the number of ids
/// the sales interned (ids below it are buyers or returners); buyers are looked up by their
/// record's email and phone, or by their id when it is one.
fn fold_by_contact(
    attrs: &mut Vec<Option<Attrs>>,
    seen: &mut Vec<Seen>,
    known: usize,
    aliases: &HashMap<String, String>,
    ids: &Interner,
    strings: &Interner,
) -> Vec<(u32, u32)> {
    // None: two buyers have the address (a family's), and a record with it could be either's.
    let mut buyer_of: HashMap<Cow<str>, Option<usize>> = HashMap::new();
    for j in 0..known {
        let a = attrs.get(j).copied().flatten();
        let id = ids.name(j as u32);
        let email = match a.and_then(|a| a.email) {
            Some(e) => Some(strings.name(e)),
            None => Some(id).filter(|id| id.contains('@')),
        };
        let phone = match a.and_then(|a| a.phone) {
            Some(p) => Some(strings.name(p)),
            None => Some(id).filter(|id| crate::values::is_phone_key(id)),
        };
        claim(&mut buyer_of, email, phone, j);
    }
    let mut merged = Vec::new();
    for c in known..attrs.len() {
        let Some(a) = attrs[c] else { continue };
        let buyer = |e: Option<&str>| {
            e.and_then(|e| {
                buyer_of
                    .get(crate::values::canonical_mobile(e).as_ref())
                    .copied()
                    .flatten()
            })
        };
        // A record keyed by an address (a guest checkout's link) is that address's buyer's too.
        let id = ids.name(c as u32);
        let own = is_address(id).then_some(id);
        // Else an address of the record that names a buyer in `aliases`: an old email or mobile
        // of a customer whose current one the customer list gives.
        let aliased = |e: Option<&str>| {
            let number = aliases.get(crate::values::canonical_mobile(e?).as_ref())?;
            let j = ids.get(number)? as usize;
            (j < known && j != c).then_some(j)
        };
        let (email, phone) = (a.email.map(|e| strings.name(e)), a.phone.map(|p| strings.name(p)));
        let Some(j) = buyer(email)
            .or_else(|| buyer(phone))
            .or_else(|| buyer(own))
            .or_else(|| aliased(own))
            .or_else(|| aliased(email))
            .or_else(|| aliased(phone))
        else {
            continue;
        };
        if attrs.len() <= j {
            attrs.resize(j + 1, None);
            seen.resize(j + 1, [0; 6]);
        }
        let record_seen = seen[c];
        attrs[j] = Some(match attrs[j] {
            None => {
                seen[j] = record_seen;
                a
            }
            Some(b) if own.is_some() => fold_record(b, &mut seen[j], a, &record_seen),
            // A buyer whom only the sales' link rows describe (an email beside the number)
            // has no attributes of its own: the second registration's are the person's.
            Some(b) if !b.describes() => {
                seen[j] = record_seen;
                Attrs {
                    marketing_consent: refusal_wins(b.marketing_consent, a.marketing_consent),
                    email: b.email.or(a.email),
                    phone: b.phone.or(a.phone),
                    signup_date: earliest(b.signup_date, a.signup_date),
                    ..a
                }
            }
            // The buyer's own attributes stand; an address it lacks is the record's (a guest
            // checkout's mobile for a number its orders gave only the email of).
            Some(b) => Attrs {
                marketing_consent: refusal_wins(b.marketing_consent, a.marketing_consent),
                email: b.email.or(a.email),
                phone: b.phone.or(a.phone),
                ..b
            },
        });
        attrs[c] = None;
        merged.push((c as u32, j as u32));
    }
    fold_into_prospects(attrs, seen, known, ids, strings, &mut merged);
    merged
}

/// A record keyed by an address (a newsletter tool's list keyed by email, an SMS panel's by
/// mobile) with no purchases, whose address a customer number without purchases also has (the
/// CRM's record of the same prospect): one person, listed once, under the number, with each
/// attribute from the last row read that has one (see [`fold_record`]). As with buyers, an
/// address two numbers have names neither.
fn fold_into_prospects(
    attrs: &mut [Option<Attrs>],
    seen: &mut [Seen],
    known: usize,
    ids: &Interner,
    strings: &Interner,
    folded: &mut Vec<(u32, u32)>,
) {
    // Buyers' addresses too: one a buyer shares with a prospect (a family's, an office line)
    // names neither.
    let mut number_of: HashMap<Cow<str>, Option<usize>> = HashMap::new();
    for (j, a) in attrs.iter().enumerate() {
        let Some(a) = a else { continue };
        if is_address(ids.name(j as u32)) {
            continue;
        }
        let name = |s: Option<u32>| s.map(|s| strings.name(s));
        claim(&mut number_of, name(a.email), name(a.phone), j);
    }
    if number_of.is_empty() {
        return;
    }
    for c in known..attrs.len() {
        let Some(a) = attrs[c] else { continue };
        let id = ids.name(c as u32);
        if !is_address(id) {
            continue;
        }
        // A number that is a buyer's took its address records in `fold_by_contact`.
        let Some(&Some(j)) = number_of.get(crate::values::canonical_mobile(id).as_ref()) else {
            continue;
        };
        if j < known {
            continue;
        }
        let Some(p) = attrs[j] else { continue };
        let record_seen = seen[c];
        attrs[j] = Some(fold_record(p, &mut seen[j], a, &record_seen));
        attrs[c] = None;
        folded.push((c as u32, j as u32));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn resolved(pairs: &[(&str, &str)]) -> Vec<(String, Option<String>)> {
        let mut targets: HashMap<String, Vec<String>> = HashMap::new();
        for (a, id) in pairs {
            targets.entry(a.to_string()).or_default().push(id.to_string());
        }
        let mut keys: Vec<&String> = targets.keys().collect();
        keys.sort();
        keys.into_iter()
            .map(|a| (a.clone(), resolve(&targets, a)))
            .collect()
    }

    fn pairs(v: &[(&str, Option<&str>)]) -> Vec<(String, Option<String>)> {
        v.iter()
            .map(|(a, id)| (a.to_string(), id.map(str::to_string)))
            .collect()
    }

    #[test]
    fn an_address_is_the_one_customer_its_records_lead_to() {
        // A guest checkout's link (email → mobile) and the number's (57 → email, 57 → mobile).
        assert_eq!(
            resolved(&[
                ("ali@x.com", "57"),
                ("+989121234567", "ali@x.com"),
                ("+989121234567", "57")
            ]),
            pairs(&[("+989121234567", Some("57")), ("ali@x.com", Some("57"))])
        );
        // A family's email names neither number; its mobile is the mother's alone.
        assert_eq!(
            resolved(&[("fam@x.com", "57"), ("fam@x.com", "58"), ("+989121234567", "57")]),
            pairs(&[("+989121234567", Some("57")), ("fam@x.com", None)])
        );
        // Two address-keyed records of one person: both are the first record (in id order), which
        // needs no alias of its own.
        assert_eq!(
            resolved(&[("+989121234567", "ali@x.com"), ("ali@x.com", "+989121234567")]),
            pairs(&[("+989121234567", None), ("ali@x.com", Some("+989121234567"))])
        );
    }
}
