//! Activation lists built on the ideal customer profile: every customer, prospect and lead ranked
//! by fit (`ideal_customers.csv`) and the lead scores with their fit × engagement grade
//! (`lead_scores.csv`). Only people who may be contacted appear: no one who refused marketing
//! in the customers dataset or unsubscribed in the activity data (they still count in every
//! aggregate). An email or phone is on one row of a list at most, and never one that more than
//! [`MAX_HOLDERS_PER_ADDRESS`] people carry or an email no one can receive (see
//! [`ListAddresses`]); addresses are compared there as consent compares them (an email's inbox,
//! a number with or without its country, see [`compared`] and [`SameNumber`]).

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use chrono::DateTime;

use super::SegmentError;
use super::customers::is_address;
use super::icp::{Engagement, Icp, Reasons};
use super::output::{Report, csv_finish, csv_row, csv_writer, fixed, push_fixed};
use crate::leads::{self, Activity, LeadScore, LeadScoring};
use crate::values::is_phone_key;

/// An address as it names a person: an email lower-cased, an Iranian mobile keyed without its
/// country (`tel:9121234567`) as its E.164 key (see [`crate::values::canonical_mobile`]).
fn address_key(a: &str) -> String {
    crate::values::canonical_mobile(&a.trim().to_lowercase()).into_owned()
}

/// An address as consent and the lists compare it: [`address_key`], an email as the inbox it
/// delivers to (`Ann+Shop@x.example` → `ann@x.example`, see [`inbox`]). A number written without
/// its country also meets the same number with it (see [`SameNumber`]), which one key cannot say.
fn compared(a: &str) -> String {
    let key = address_key(a);
    match inbox(&key) {
        std::borrow::Cow::Borrowed(_) => key,
        std::borrow::Cow::Owned(mailbox) => mailbox,
    }
}

/// An address (in compared form, see [`compared`]; a number with the holders of the same number
/// in the other form, see [`SameNumber`]) that more than this many distinct people carry —
/// customers, and leads no customer matches — is no one person's: 2 is a household
/// (a couple's shared inbox or landline), more an office's, a placeholder a clerk typed for
/// customers without one or the shop's own `info@`. The lists leave it out: a campaign would
/// mail the shop or one office many times, and marketing tools merge or reject such rows.
pub(super) const MAX_HOLDERS_PER_ADDRESS: usize = 2;

/// Emails that say there is none. Kept tiny: an address more than
/// [`MAX_HOLDERS_PER_ADDRESS`] people carry is left out anyway; these are for the one or two
/// records that carry them.
const PLACEHOLDER_EMAILS: [&str; 5] = [
    "unknown@unknown.com",
    "no@email.com",
    "test@test.com",
    "none@none.com",
    "na@na.com",
];

/// Whether an email can be delivered to as written: one `@` with something before it, a domain
/// with a dot between non-empty labels, no spaces; and not a placeholder (`noemail@…`,
/// [`PLACEHOLDER_EMAILS`]). Ingest keeps `test@test` (it may key a customer); the lists do not
/// carry it.
pub(super) fn listable_email(e: &str) -> bool {
    let e = e.trim().to_lowercase();
    let Some((local, domain)) = e.split_once('@') else {
        return false;
    };
    !local.is_empty()
        && !domain.contains('@')
        && !e.chars().any(char::is_whitespace)
        && domain.split('.').count() >= 2
        && domain.split('.').all(|label| !label.is_empty())
        && local != "noemail"
        && !PLACEHOLDER_EMAILS.contains(&e.as_str())
}

/// How many addresses a list left out, by why.
#[derive(Debug, Default, Clone, Copy, serde::Serialize)]
pub(super) struct Blanked {
    /// Carried by more than [`MAX_HOLDERS_PER_ADDRESS`] people.
    pub shared: usize,
    /// On a better-ranked row of the same list already.
    pub duplicate: usize,
    /// An email that cannot be delivered to or says there is none (see [`listable_email`]).
    pub invalid: usize,
}

/// The addresses one list carries, row by row in the list's order: an address is left out when
/// it is shared (see [`MAX_HOLDERS_PER_ADDRESS`]), invalid, or on an earlier row already (the
/// best-ranked row keeps it). Addresses are compared as consent compares them: an email by its
/// inbox (`ann+shop@x.example` is on `ann@x.example`'s row), a number without its country by the
/// same number with it (see [`SameNumber`]). A row that carries one prints its own.
pub(super) struct ListAddresses<'s> {
    shared: &'s BTreeSet<String>,
    seen: BTreeSet<String>,
    /// National tails (see [`crate::values::national_tails`]) of the numbers carried, by the form
    /// they were written in: without their country, and E.164.
    seen_national: BTreeSet<String>,
    seen_e164: BTreeSet<String>,
    pub blanked: Blanked,
}

impl<'s> ListAddresses<'s> {
    /// `shared`: the addresses in compared form (see [`compared`]) that more than
    /// [`MAX_HOLDERS_PER_ADDRESS`] people carry, a number under each form it was written in.
    pub(super) fn new(shared: &'s BTreeSet<String>) -> Self {
        ListAddresses {
            shared,
            seen: BTreeSet::new(),
            seen_national: BTreeSet::new(),
            seen_e164: BTreeSet::new(),
            blanked: Blanked::default(),
        }
    }

    /// The row's email, unless left out.
    pub(super) fn email<'a>(&mut self, e: Option<&'a str>) -> Option<&'a str> {
        let e = e.filter(|e| !e.trim().is_empty())?;
        if !listable_email(e) {
            self.blanked.invalid += 1;
            return None;
        }
        self.keep(e)
    }

    /// The row's phone, unless left out.
    pub(super) fn phone<'a>(&mut self, p: Option<&'a str>) -> Option<&'a str> {
        let p = p.filter(|p| !p.trim().is_empty())?;
        self.keep(p)
    }

    fn keep<'a>(&mut self, a: &'a str) -> Option<&'a str> {
        let key = compared(a);
        let tails = crate::values::national_tails(&key);
        // Only a number in the other form meets this one on its tails (see `SameNumber`).
        let (own, other) = match key.starts_with('+') {
            true => (&mut self.seen_e164, &self.seen_national),
            false => (&mut self.seen_national, &self.seen_e164),
        };
        if self.shared.contains(&key) {
            self.blanked.shared += 1;
            None
        } else if self.seen.contains(&key) || tails.iter().any(|t| other.contains(*t)) {
            self.blanked.duplicate += 1;
            None
        } else {
            own.extend(tails.iter().map(|t| t.to_string()));
            self.seen.insert(key);
            Some(a)
        }
    }
}

/// The mailbox an address delivers to, for consent and the lists: `ann+shop@x.example` is
/// `ann@x.example`'s inbox, and a refusal or an unsubscribe from either keeps both off the lists.
/// `key` is an [`address_key`]; a key that is no email is itself.
fn inbox(key: &str) -> std::borrow::Cow<'_, str> {
    match key.rsplit_once('@') {
        Some((local, domain)) => match local.split_once('+') {
            Some((user, _)) if !user.is_empty() => format!("{user}@{domain}").into(),
            _ => key.into(),
        },
        None => key.into(),
    }
}

/// Phone keys by their national digits (see [`crate::values::national_tails`]), each with its
/// holders: a customer whose order gave `(415) 555-2106` (`tel:4155552106`) and who texted STOP
/// from `+14155552106` refused. Only a key without its country meets one with it (two E.164
/// keys are one number exactly when they are equal), so the two forms are kept apart.
#[derive(Default)]
struct SameNumber<'a> {
    /// Tails of keys written without their country.
    national: BTreeMap<&'a str, Vec<usize>>,
    /// Tails of E.164 keys.
    e164: BTreeMap<&'a str, Vec<usize>>,
}

impl<'a> SameNumber<'a> {
    /// `keys` in compared form (see [`compared`]), holder 0: for asking whether a key meets
    /// any of them.
    fn of(keys: impl IntoIterator<Item = &'a str>) -> Self {
        let mut n = SameNumber::default();
        for k in keys {
            n.add(k, 0);
        }
        n
    }

    fn add(&mut self, key: &'a str, holder: usize) {
        let by_tail = if key.starts_with('+') {
            &mut self.e164
        } else {
            &mut self.national
        };
        for t in crate::values::national_tails(key) {
            by_tail.entry(t).or_default().push(holder);
        }
    }

    /// The holders of `key`'s number written in the other form.
    fn holders(&self, key: &str) -> Vec<usize> {
        let other = if key.starts_with('+') {
            &self.national
        } else {
            &self.e164
        };
        if other.is_empty() {
            return Vec::new();
        }
        crate::values::national_tails(key)
            .into_iter()
            .filter_map(|t| other.get(t))
            .flatten()
            .copied()
            .collect()
    }

    /// `key` meets one of the keys.
    fn meets(&self, key: &str) -> bool {
        !self.holders(key).is_empty()
    }
}

pub(super) const IDEAL_CUSTOMERS_CSV: &str = "ideal_customers.csv";
pub(super) const LEAD_SCORES_CSV: &str = "lead_scores.csv";

/// The key that turns customer ids into pseudonyms in the BI output. Never printed.
#[derive(Clone, PartialEq, Eq)]
pub struct PseudonymKey(pub Vec<u8>);

impl std::fmt::Debug for PseudonymKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("PseudonymKey(..)")
    }
}

pub(super) struct LeadRow {
    pub score: LeadScore,
    /// The contact's phone key: its id when it is one, else the matched customer's.
    pub phone: Option<String>,
    /// `None` (and no grade) when the ideal group is withheld.
    pub fit: Option<f64>,
    pub grade: String,
}

/// A row of ideal_customers.csv. A customer's row refers to the customer (its id, addresses,
/// segment and stage are the report's): copies of them for every customer would cost the run
/// ~20 MB at 200 k customers.
pub(super) struct IdealRow {
    pub who: Listed,
    pub fit: f64,
    pub reasons: Reasons,
    /// Whether the row carries its email and its phone (see [`ListAddresses`]).
    pub email_kept: bool,
    pub phone_kept: bool,
}

pub(super) enum Listed {
    /// A customer or prospect, by index in `Report::customers`.
    Customer(usize),
    /// A lead of the activity exports that is no customer.
    Lead(Box<LeadContact>),
}

pub(super) struct LeadContact {
    pub id: String,
    pub email: Option<String>,
    pub phone: Option<String>,
}

impl IdealRow {
    fn id<'r>(&'r self, r: &'r Report) -> &'r str {
        match &self.who {
            Listed::Customer(i) => r.ids.name(r.customers[*i].idx),
            Listed::Lead(l) => &l.id,
        }
    }

    /// The email and phone the person has, before [`ListAddresses`] leaves any out.
    fn addresses<'r>(&'r self, r: &'r Report) -> (Option<&'r str>, Option<&'r str>) {
        match &self.who {
            Listed::Customer(i) => (r.email(&r.customers[*i]), r.phone(&r.customers[*i])),
            Listed::Lead(l) => (l.email.as_deref(), l.phone.as_deref()),
        }
    }

    fn kind(&self, r: &Report) -> &'static str {
        match self.who {
            Listed::Customer(i) if r.customers[i].behaviour.is_some() => "customer",
            Listed::Customer(_) => "prospect",
            Listed::Lead(_) => "lead",
        }
    }
}

pub(super) struct Activation {
    /// Per customer (index as in `Report::customers`): fit 0–100; None for someone seen only on
    /// returns, who is neither a buyer nor a prospect to compare with the best customers.
    pub fit: Vec<Option<f64>>,
    /// Per customer: refused marketing or unsubscribed; kept out of every activation list.
    pub opted_out: Vec<bool>,
    pub leads: Vec<LeadRow>,
    pub ideal: Vec<IdealRow>,
    /// Contacts left out of lead_scores.csv because they unsubscribed or refused marketing.
    pub leads_excluded: usize,
    /// Addresses (compared form, see [`compared`]) more than [`MAX_HOLDERS_PER_ADDRESS`] people
    /// carry; a number counts the holders of the same number in the other form too.
    pub shared: BTreeSet<String>,
    /// Addresses left out of ideal_customers.csv and of lead_scores.csv.
    pub ideal_blanked: Blanked,
    pub leads_blanked: Blanked,
}

/// Engagement adds at most ±1 to the fit's log-odds: a lead at the strong threshold counts like
/// one strongly typical trait.
fn engagement(s: &LeadScore, cfg: &LeadScoring) -> Engagement {
    Engagement {
        effect: (s.score / cfg.strong_above.max(1.0)).clamp(-1.0, 1.0),
        score: s.score,
        band: s.band,
    }
}

pub(super) fn build(r: &Report, icp: &Icp, activity: &[Activity], cutoff_micros: i64) -> Activation {
    let cfg = &r.params.lead_scoring;
    let n = r.customers.len();
    // Interned customer id → position in `r.customers`.
    let mut position = vec![usize::MAX; r.ids.len()];
    for (i, c) in r.customers.iter().enumerate() {
        position[c.idx as usize] = i;
    }
    // A customers-dataset id whose record folded into a buyer with its email stands for that buyer.
    for &(record, buyer) in r.merged_records {
        if position[record as usize] == usize::MAX {
            position[record as usize] = position[buyer as usize];
        }
    }
    // Emails (lower-cased) and phone keys: the two never look alike.
    let mut by_address: BTreeMap<String, usize> = BTreeMap::new();
    for (i, c) in r.customers.iter().enumerate() {
        // The customers dataset's addresses, else the id of a buyer keyed by email or phone.
        for a in [r.email(c), r.phone(c)].into_iter().flatten().map(address_key) {
            // Customers are in id order: with a shared address the first id wins, deterministically.
            by_address.entry(a).or_insert(i);
        }
    }
    // Every other address a customer number has (an old email, a second mobile), sorted so that
    // the first id wins ties as above.
    let mut known: Vec<(String, usize)> = r
        .aliases
        .iter()
        .filter_map(|(a, id)| {
            let i = position[r.ids.get(id)? as usize];
            (i != usize::MAX).then(|| (address_key(a), i))
        })
        .collect();
    known.sort_unstable();
    for (a, i) in &known {
        by_address.entry(a.clone()).or_insert(*i);
    }
    // The customers' emails by the inbox they deliver to, as consent compares them: a lead whose
    // rows give `ann+news@x.example` is the customer `ann@x.example`. Only where no customer has
    // the address as written; of customers sharing an inbox, the first id.
    let mut by_inbox: BTreeMap<String, usize> = BTreeMap::new();
    for (a, &i) in by_address.iter().filter(|(a, _)| a.contains('@')) {
        by_inbox
            .entry(inbox(a).into_owned())
            .and_modify(|j| *j = (*j).min(i))
            .or_insert(i);
    }
    // Every address each customer is known by, in compared form (see `compared`: an email's
    // inbox, for consent and the lists alike): the customers dataset's (or an
    // id that is one) and those `known` adds. Only the customers with one: most shops' have none.
    let mut addresses_of: BTreeMap<usize, Vec<String>> = BTreeMap::new();
    for (i, c) in r.customers.iter().enumerate() {
        let id = r.ids.may_hold_addresses().then(|| r.ids.name(c.idx));
        let mut list: Vec<String> = [r.email(c), r.phone(c), id.filter(|id| is_address(id))]
            .into_iter()
            .flatten()
            .map(compared)
            .collect();
        list.sort_unstable();
        list.dedup();
        if !list.is_empty() {
            addresses_of.insert(i, list);
        }
    }
    for (a, i) in &known {
        addresses_of.entry(*i).or_default().push(compared(a));
    }
    // Every address a contact is known by in the activity data, also from its other rows: an
    // unsubscribe row often carries no email. Its mobiles too (`phone`, since schema version 3),
    // which `phones_of` keeps in row order for the leads.
    let mut emails_of: BTreeMap<&str, BTreeSet<&str>> = BTreeMap::new();
    let mut phones_of: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
    for a in activity {
        if let Some(e) = a.email.as_deref() {
            emails_of.entry(a.contact.as_str()).or_default().insert(e);
        }
        if let Some(p) = a.phone.as_deref() {
            emails_of.entry(a.contact.as_str()).or_default().insert(p);
            let list = phones_of.entry(a.contact.as_str()).or_default();
            list.retain(|q| *q != p);
            list.push(p);
        }
    }
    // A CRM or website keys a contact by its own id or by email while its rows give the mobile
    // an Iranian shop knows the buyer by: the customer with that mobile. Of mobiles that name
    // two customers, the first id wins, as `by_address` does for one mobile two numbers share.
    // Once per contact, so no row looks a number up.
    let by_phone: BTreeMap<&str, usize> = phones_of
        .iter()
        .filter(|(contact, _)| !is_phone_key(contact))
        .filter_map(|(contact, phones)| {
            let i = phones
                .iter()
                .filter_map(|p| by_address.get(&address_key(p)).copied())
                .min()?;
            Some((*contact, i))
        })
        .collect();
    // A contact the activity data keys by mobile is the customer with that phone; one keyed
    // otherwise, the customer with a mobile its rows give (after its email, as before).
    let matched = |contact: &str, email: Option<&str>| -> Option<usize> {
        let by_id = r.ids.get(contact).map(|idx| position[idx as usize]);
        by_id
            .filter(|&i| i != usize::MAX)
            .or_else(|| {
                // A contact keyed by its email (GA4's `user_id`, a form tool's) with no email
                // column is that email's.
                let email = email.or_else(|| Some(contact).filter(|c| c.contains('@')))?;
                let key = address_key(email);
                by_address
                    .get(&key)
                    .or_else(|| by_inbox.get(inbox(&key).as_ref()))
                    .copied()
            })
            .or_else(|| {
                is_phone_key(contact)
                    .then(|| by_address.get(&address_key(contact)).copied())
                    .flatten()
            })
            .or_else(|| by_phone.get(contact).copied())
    };
    // Refusals of any date, under a contact id or any address: the emails given with them and
    // contact ids that are emails or phones.
    let refused = leads::refusals(activity);
    let refused_emails: BTreeSet<String> = refused
        .iter()
        .flat_map(|(contact, emails)| {
            emails
                .iter()
                .copied()
                .chain(emails_of.get(contact).into_iter().flatten().copied())
                .chain(is_address(contact).then_some(*contact))
        })
        .map(compared)
        .collect();
    let national = SameNumber::of(refused_emails.iter().map(String::as_str));
    let refused_address = |e: &str| {
        is_address(e) && {
            let a = compared(e);
            refused_emails.contains(&a) || national.meets(&a)
        }
    };
    // Downloads and forms weigh by the lead's job title, which activity exports often leave out
    // while the customers dataset has it: the matched customer's title stands for a contact none
    // of whose rows (up to the run date) gives one. A title in the activity comes first.
    let has_title: BTreeSet<&str> = activity
        .iter()
        .filter(|a| a.ts < cutoff_micros && a.job_title.as_deref().is_some_and(|t| !t.trim().is_empty()))
        .map(|a| a.contact.as_str())
        .collect();
    let titled: Vec<Activity>;
    let activity: &[Activity] = if activity.iter().any(|a| a.job_title.is_none()) {
        titled = activity
            .iter()
            .map(|a| {
                let mut a = a.clone();
                if a.job_title.is_none() && !has_title.contains(a.contact.as_str()) {
                    a.job_title = matched(&a.contact, a.email.as_deref())
                        .and_then(|i| r.customers[i].attrs?.job_title)
                        .map(|t| r.strings.name(t).to_string());
                }
                a
            })
            .collect();
        &titled
    } else {
        activity
    };
    // Activity up to the end of the run date, like the sales.
    let scores = leads::score_leads(activity, cfg, cutoff_micros - 1);
    // A refusal in the customers dataset, or an unsubscribe under the id or any address.
    let mut opted_out: Vec<bool> = r
        .customers
        .iter()
        .enumerate()
        .map(|(i, c)| {
            c.attrs.and_then(|a| a.marketing_consent) == Some(false)
                || refused.contains_key(r.ids.name(c.idx))
                || addresses_of.get(&i).is_some_and(|list| {
                    list.iter()
                        .any(|a| refused_emails.contains(a) || national.meets(a))
                })
        })
        .collect();
    for &(record, buyer) in r.merged_records {
        let i = position[buyer as usize];
        if i != usize::MAX && refused.contains_key(r.ids.name(record)) {
            opted_out[i] = true;
        }
    }
    let mut lead_of: Vec<Option<usize>> = vec![None; n];
    let matches: Vec<Option<usize>> = scores
        .iter()
        .map(|s| matched(&s.contact, s.email.as_deref()))
        .collect();
    for (k, (s, m)) in scores.iter().zip(&matches).enumerate() {
        if let Some(i) = *m {
            opted_out[i] |= s.unsubscribed;
            // The strongest matching contact stands for the customer (scores are sorted).
            lead_of[i].get_or_insert(k);
        }
    }
    // One person under two records (two customer numbers with one email or one mobile) is one
    // person for consent: a refusal or an unsubscribe under either stands for both, and for a
    // lead keyed by that address; and so on along the chain (C1 and C2 share a mobile, C2 and
    // C3 an email: a refusal by C1 holds for C3).
    // Emails meet on the inbox they deliver to (`ann+shop@x.example` is `ann@x.example`'s, see
    // `inbox`), as an unsubscribe's do; a number written without its country and with it
    // (`tel:4155552106`, `+14155552106`) are one mobile for consent too (see `SameNumber`).
    let mut holders: BTreeMap<&str, Vec<usize>> = BTreeMap::new();
    let mut same_number = SameNumber::default();
    for (&i, list) in &addresses_of {
        for a in list {
            holders.entry(a.as_str()).or_default().push(i);
            same_number.add(a, i);
        }
    }
    let mut pending: Vec<usize> = (0..n).filter(|&i| opted_out[i]).collect();
    while let Some(i) = pending.pop() {
        for a in addresses_of.get(&i).into_iter().flatten() {
            let other_form = same_number.holders(a);
            for &j in holders.get(a.as_str()).into_iter().flatten().chain(&other_form) {
                if !opted_out[j] {
                    opted_out[j] = true;
                    pending.push(j);
                }
            }
        }
    }
    // The inboxes and numbers of everyone who refused: a lead under another tag of such an
    // inbox, or the number in the other form, refused too.
    let opted_addresses: BTreeSet<&str> = addresses_of
        .iter()
        .filter(|(i, _)| opted_out[**i])
        .flat_map(|(_, list)| list.iter().map(String::as_str))
        .collect();
    let opted_national = SameNumber::of(opted_addresses.iter().copied());
    let opted_address = |e: &str| {
        let a = compared(e);
        opted_addresses.contains(a.as_str()) || opted_national.meets(&a)
    };

    // Each fit depends on that customer alone: computed on all cores.
    let computed: Vec<Option<(f64, Reasons)>> = super::par::map_range(n, |i| {
        let f = match r.customers[i].behaviour {
            Some(_) => icp.buyer_fit(r, i),
            None => icp.customer_fit(i, lead_of[i].map(|k| engagement(&scores[k], cfg))),
        };
        f.map(|f| (f.fit, f.reasons))
    });
    let mut fits = Vec::with_capacity(n);
    let mut ideal = Vec::with_capacity(n + scores.len());
    for ((i, c), fit) in r.customers.iter().enumerate().zip(computed) {
        // Someone seen only on returns is neither a prospect nor a look-alike of the best.
        let fit = fit.filter(|_| c.returns_only.is_none());
        fits.push(fit.as_ref().map(|f| f.0));
        if let Some((fit, reasons)) = fit
            && !opted_out[i]
        {
            ideal.push(IdealRow {
                who: Listed::Customer(i),
                fit,
                reasons,
                email_kept: false,
                phone_kept: false,
            });
        }
    }
    let mut lead_rows = Vec::new();
    let mut leads_excluded = 0;
    // The addresses of the leads, each with its holder: the matched customer, else the lead
    // (numbered after the customers).
    let mut lead_holders: BTreeMap<String, Vec<usize>> = BTreeMap::new();
    for (k, (mut s, m)) in scores.into_iter().zip(matches).enumerate() {
        // The address the lists carry: the activity's, else the matched customer's.
        if s.email.is_none() {
            s.email = m.and_then(|i| r.email(&r.customers[i])).map(str::to_string);
        }
        // The number the lists carry: the contact's when keyed by it, else the matched
        // customer's, else the one its activity rows last gave.
        let phones = phones_of.get(s.contact.as_str());
        let phone = match is_phone_key(&s.contact) {
            true => Some(s.contact.clone()),
            false => m
                .and_then(|i| r.phone(&r.customers[i]))
                .or_else(|| phones.and_then(|p| p.last().copied()))
                .map(str::to_string),
        };
        for a in s.email.iter().chain(&phone) {
            lead_holders
                .entry(compared(a))
                .or_default()
                .push(m.unwrap_or(n + k));
        }
        // `refused` holds every contact that ever unsubscribed, `s.unsubscribed` ones included.
        let blocked = refused.contains_key(s.contact.as_str())
            || refused_address(&s.contact)
            || s.email.as_deref().is_some_and(refused_address)
            || s.email.as_deref().is_some_and(opted_address)
            || (is_address(&s.contact) && opted_address(&s.contact))
            // A refusal from a mobile the lead's own rows give (an SMS opt-out of a lead the
            // website knows by email).
            || phones
                .into_iter()
                .flatten()
                .any(|p| refused_address(p) || opted_address(p))
            || m.is_some_and(|i| opted_out[i]);
        if blocked {
            leads_excluded += 1;
            continue;
        }
        // The grade's letter is how much the person resembles the best customers and its digit
        // how engaged they are, so the letter takes the fit without engagement (a buyer's fit
        // has none); ideal_customers.csv ranks people without purchases with it added.
        let profile_fit = match m {
            Some(i) if r.customers[i].behaviour.is_some() => fits[i],
            Some(i) => icp.customer_fit(i, None).map(|f| f.fit),
            None => {
                if let Some(f) = icp.lead_fit(s.job_title.as_deref(), Some(engagement(&s, cfg))) {
                    ideal.push(IdealRow {
                        who: Listed::Lead(Box::new(LeadContact {
                            id: s.contact.clone(),
                            email: s.email.clone(),
                            phone: phone.clone(),
                        })),
                        fit: f.fit,
                        reasons: f.reasons,
                        email_kept: false,
                        phone_kept: false,
                    });
                }
                icp.lead_fit(s.job_title.as_deref(), None).map(|f| f.fit)
            }
        };
        lead_rows.push(LeadRow {
            grade: profile_fit
                .zip(icp.nothing_known())
                .map_or_else(String::new, |(f, n)| leads::grade(f, n, s.band)),
            fit: profile_fit,
            score: s,
            phone,
        });
    }
    // Order: fit descending, then id and kind. Two stable sorts reach it with few id comparisons:
    // the customer rows are already in id order (a run the sort detects in one pass), so ordering
    // by id only sorts the leads and merges, and fits then reorder without comparing ids.
    ideal.sort_by(|a, b| a.id(r).cmp(b.id(r)).then(a.kind(r).cmp(b.kind(r))));
    ideal.sort_by(|a, b| b.fit.total_cmp(&a.fit));

    // Addresses more than `MAX_HOLDERS_PER_ADDRESS` people carry: customers by every address
    // they are known by, leads by those the lists would give them; a number's holders in the
    // other form (with or without its country) count too, as for consent.
    let mut lead_numbers = SameNumber::default();
    for (a, list) in &lead_holders {
        for &h in list {
            lead_numbers.add(a, h);
        }
    }
    let mut shared: BTreeSet<String> = BTreeSet::new();
    for a in holders
        .keys()
        .copied()
        .chain(lead_holders.keys().map(String::as_str))
    {
        let (customers, leads) = (holders.get(a), lead_holders.get(a));
        let (customers_other, leads_other) = (same_number.holders(a), lead_numbers.holders(a));
        let most = customers.map_or(0, Vec::len)
            + leads.map_or(0, Vec::len)
            + customers_other.len()
            + leads_other.len();
        if most <= MAX_HOLDERS_PER_ADDRESS || shared.contains(a) {
            continue;
        }
        let mut all: Vec<usize> = customers
            .into_iter()
            .flatten()
            .chain(leads.into_iter().flatten())
            .chain(&customers_other)
            .chain(&leads_other)
            .copied()
            .collect();
        all.sort_unstable();
        all.dedup();
        if all.len() > MAX_HOLDERS_PER_ADDRESS {
            shared.insert(a.to_string());
        }
    }
    // Each list in its own order: the best-ranked row keeps an address.
    let mut list = ListAddresses::new(&shared);
    for row in &mut ideal {
        let (email, phone) = row.addresses(r);
        let (email, phone) = (list.email(email).is_some(), list.phone(phone).is_some());
        (row.email_kept, row.phone_kept) = (email, phone);
    }
    let ideal_blanked = list.blanked;
    let mut list = ListAddresses::new(&shared);
    for row in &mut lead_rows {
        if list.email(row.score.email.as_deref()).is_none() {
            row.score.email = None;
        }
        if list.phone(row.phone.as_deref()).is_none() {
            row.phone = None;
        }
    }
    let leads_blanked = list.blanked;
    Activation {
        fit: fits,
        opted_out,
        leads: lead_rows,
        ideal,
        leads_excluded,
        shared,
        ideal_blanked,
        leads_blanked,
    }
}

pub(super) fn write_ideal_customers(
    rows: &[IdealRow],
    icp: &Icp,
    r: &Report,
    path: &Path,
) -> Result<(), SegmentError> {
    let mut w = csv_writer(path)?;
    csv_row(
        path,
        &mut w,
        [
            "id",
            "kind",
            "fit",
            "reasons",
            "segment_name",
            "lifecycle_stage",
            "email",
            "phone",
        ],
    )?;
    let (mut fit, mut reasons) = (String::new(), String::new());
    for row in rows {
        fit.clear();
        push_fixed(&mut fit, row.fit, 1);
        reasons.clear();
        icp.push_reasons(&row.reasons, &mut reasons);
        let (segment, stage) = match &row.who {
            Listed::Customer(i) => {
                let c = &r.customers[*i];
                (
                    c.segment.map_or("", |s| r.segments[s].name.as_str()),
                    c.stage.as_str(),
                )
            }
            Listed::Lead(_) => ("", ""),
        };
        let (email, phone) = row.addresses(r);
        let (email, phone) = (email.filter(|_| row.email_kept), phone.filter(|_| row.phone_kept));
        csv_row(
            path,
            &mut w,
            [
                row.id(r),
                row.kind(r),
                &fit,
                &reasons,
                segment,
                stage,
                email.unwrap_or_default(),
                phone.map(crate::values::dialable).unwrap_or_default(),
            ],
        )?;
    }
    csv_finish(path, w)
}

pub(super) fn write_lead_scores(
    rows: &[LeadRow],
    tz: chrono_tz::Tz,
    path: &Path,
) -> Result<(), SegmentError> {
    let mut w = csv_writer(path)?;
    csv_row(
        path,
        &mut w,
        [
            "contact_id",
            "email",
            "phone",
            "job_title",
            "score",
            "band",
            "fit",
            "grade",
            "contributions",
            "last_activity",
        ],
    )?;
    for l in rows {
        let s = &l.score;
        let last = DateTime::from_timestamp_micros(s.last_activity)
            .map(|t| t.with_timezone(&tz).format("%Y-%m-%d").to_string())
            .unwrap_or_default();
        csv_row(
            path,
            &mut w,
            [
                s.contact.as_str(),
                s.email.as_deref().unwrap_or_default(),
                l.phone
                    .as_deref()
                    .map(crate::values::dialable)
                    .unwrap_or_default(),
                s.job_title.as_deref().unwrap_or_default(),
                &fixed(s.score, 2),
                s.band.as_str(),
                &l.fit.map_or_else(String::new, |f| fixed(f, 1)),
                &l.grade,
                &s.contributions_text(),
                &last,
            ],
        )?;
    }
    csv_finish(path, w)
}
