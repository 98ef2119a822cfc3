use std::collections::HashMap;
use std::sync::Arc;

use arrow::array::{
    ArrayRef, Float64Builder, Int64Builder, RecordBatch, StringBuilder, TimestampMicrosecondBuilder,
};
use arrow::datatypes::{DataType, Field as ArrowField, SchemaRef};

use super::unread::UnreadValues;
use super::*;
use crate::values::parse_duration_seconds;

struct Cols {
    key: KeyCols,
    event: Option<usize>,
    time: Option<usize>,
    page: Option<usize>,
    duration: Option<usize>,
    job_title: Option<usize>,
    /// A message log's direction (see `ColumnMapping::message_direction`).
    direction: Option<usize>,
}

pub fn activity_schema() -> SchemaRef {
    let mut fields = vec![
        ArrowField::new("contact_id", DataType::Utf8, false),
        utf8("email"),
        // Since schema version 3: the row's mobile or phone, also when the contact is keyed by id
        // or email, so a refusal from that number reaches the contact.
        utf8("phone"),
        ArrowField::new("event_type", DataType::Utf8, false),
        utf8("event_raw"),
        ts_field("event_ts", false),
        utf8("page"),
        ArrowField::new("duration_seconds", DataType::Float64, true),
        utf8("job_title"),
    ];
    fields.extend(provenance_fields());
    schema_of(fields)
}

/// An event name in one spelling: lower case, Arabic letter variants folded ("باز‌کردن ايميل" is
/// "باز کردن ایمیل"), every run of characters that are not letters or digits (spaces, `-`, `_`,
/// `.`, `/`, ZWNJ) one space; also its words and the words run together ("opt-out" is "optout").
pub(super) struct EventText {
    pub(super) spaced: String,
    joined: String,
}

impl EventText {
    pub(super) fn new(raw: &str) -> Self {
        let mut spaced = String::with_capacity(raw.len());
        for c in raw
            .chars()
            .flat_map(crate::values::presentation_letters)
            .map(crate::values::fold_char)
            .flat_map(char::to_lowercase)
        {
            if c.is_alphanumeric() {
                spaced.push(c);
            } else if !spaced.is_empty() && !spaced.ends_with(' ') {
                spaced.push(' ');
            }
        }
        if spaced.ends_with(' ') {
            spaced.pop();
        }
        let joined = spaced.replace(' ', "");
        EventText { spaced, joined }
    }

    pub(super) fn words(&self) -> impl Iterator<Item = &str> {
        self.spaced.split(' ')
    }

    /// One of the phrases occurs in the text (inside words too).
    pub(super) fn has(&self, phrases: &[&str]) -> bool {
        phrases.iter().any(|p| self.spaced.contains(p))
    }

    /// One of the phrases occurs with the spaces between words left out.
    fn has_joined(&self, phrases: &[&str]) -> bool {
        phrases.iter().any(|p| self.joined.contains(p))
    }

    /// One of the words is a whole word of the text.
    pub(super) fn word(&self, words: &[&str]) -> bool {
        self.words().any(|w| words.contains(&w))
    }

    /// A word of the text starts with one of the prefixes.
    pub(super) fn word_starting(&self, prefixes: &[&str]) -> bool {
        self.words().any(|w| prefixes.iter().any(|p| w.starts_with(p)))
    }
}

/// Canonical event types used by lead scoring; unknown events keep `other` and their raw text.
///
/// A refusal is recognised first, and nothing negated ever counts as a positive event: an
/// unsubscribe must keep the contact out of the lists, and "Not opened", "Cancelled order" or
/// "Webinar no-show" are no engagement. The full vocabulary is in docs/data-contract.md
/// (`curated/activity`); in order:
/// 1. Refusals: unsubscribe, opt-out, do not contact (`DNC`), spam and abuse reports, complaints,
///    German `Abmeldung`/`abbestellt`, Persian «لغو عضویت».
/// 2. Failures (bounces, undelivered or blocked messages) are `other`: no refusal.
/// 3. Negations about a subscription, a list, marketing or consent (and, after `stop`-like words,
///    about emails and messages; an SMS `STOP` alone) are unsubscribes; other negated names are
///    `other`, never a positive type.
/// 4. Tracking events that are no engagement of their own (GA4's `session_start`, `first_visit`,
///    `user_engagement`, `scroll`, …; video progress and completion) are `other`.
/// 5. Positive events by keyword.
pub fn normalize_event_type(raw: &str) -> &'static str {
    let e = EventText::new(raw);
    // A refusal's field set to false ("Unsubscribed: false", "hs_email_optout: false"): no
    // refusal, and nothing else either.
    if let Some(field) = e.spaced.strip_suffix(" false")
        && is_refusal(&EventText::new(field))
    {
        return "other";
    }
    if is_refusal(&e) {
        return "unsubscribe";
    }
    // A failed delivery is no refusal ("Email not delivered", "Mailbox not found").
    if is_failure(&e) {
        return "other";
    }
    let positive = positive_event(&e);
    // Dismissing a sign-up pop-up is neither a sign-up nor a refusal.
    if e.word(&["dismissed", "dismiss", "closed", "ignored"]) {
        return "other";
    }
    // "e-mail" is one word here, so "Keine E-Mails" has its negation beside its object; and so is
    // "opt-in", which a refusal may be about ("Opt-in revoked", "Email opt-in: false").
    let text = e
        .spaced
        .replace("e mail", "email")
        .replace("opted in", "optedin")
        .replace("opt in", "optin");
    let words: Vec<&str> = text.split(' ').filter(|w| !w.is_empty()).collect();
    let persian_consent = e.has(&[
        "خبرنامه",
        "عضویت",
        "اشتراک",
        "ایمیل",
        "پیامک",
        "تبلیغ",
        "رضایت",
        "دریافت",
        "ارسال",
        "لیست",
    ]);
    // What a refusal is about: the newsletter, a list, marketing, consent, emails or messages.
    let consent_word =
        |w: &str| CONSENT_PREFIXES.iter().any(|p| w.starts_with(p)) || CONSENT_WORDS.contains(&w);
    let about_consent = words.iter().any(|w| consent_word(w)) || persian_consent;
    // A negated engagement ("Newsletter not opened", "Signup not confirmed") is no refusal.
    let engagement = e.word_starting(&[
        "open",
        "click",
        "deliver",
        "confirm",
        "read",
        "geöffnet",
        "zugestellt",
        "bestätigt",
        "watched",
        "unopen",
        "unread",
        "unclick",
        "unview",
        "unwatch",
        "undeliver",
    ]) || e.has(&["باز", "خوانده"]);
    // Strong words refuse whatever consent they are said of; alone, only an SMS keyword does
    // ("STOP", «لغو»): "Paused" or «خروج» (log-out) alone are player and session events.
    let strong = words.iter().any(|w| STRONG_NEGATIONS.contains(w))
        || e.has(&["لغو", "انصراف", "توقف", "خروج", "غیرفعال", "غیر فعال"]);
    // Also `STOP ALL` and «لغو11», the reply Iranian SMS panels take to stop a line's messages
    // («لغو ۱۱»). A bare `END` or `CANCEL`, which carriers honour too, is as often a call's or a
    // subscription's: read as a refusal it would drop every such customer from the lists.
    let bare_keyword = matches!(
        words.as_slice(),
        ["stop" | "stopall" | "quit" | "لغو" | "انصراف" | "استاپ"]
    ) || matches!(
        e.joined.as_str(),
        "stopall" | "لغو11" | "لغو۱۱" | "لغو١١" | "انصراف11" | "انصراف۱۱" | "انصراف١١"
    );
    // Weak words refuse only what stands beside them ("No newsletter", "Email marketing: no",
    // "Email declined"): "Signup form - no credit card" is about the card. "No" before a number
    // is an issue number ("Newsletter No. 12").
    let weak_at = |i: usize| {
        let w = words[i];
        (WEAK_NEGATIONS.contains(&w)
            || ["cancel", "remov", "storn", "deactiv", "disabl", "kein", "entzog"]
                .iter()
                .any(|p| w.starts_with(p))
            || w.contains("عدم")
            || w.contains("حذف"))
            && !(w == "no"
                && words
                    .get(i + 1)
                    .is_some_and(|n| n.chars().all(|c| c.is_numeric())))
    };
    // Beside it, or one preposition away ("Removed from list").
    let preposition = |j: usize| words.get(j).is_some_and(|w| PREPOSITIONS.contains(w));
    let weak_about_consent = (0..words.len()).any(|i| {
        let after = if preposition(i + 1) { i + 2 } else { i + 1 };
        let before = match i.checked_sub(1) {
            Some(b) if preposition(b) => b.checked_sub(1),
            b => b,
        };
        weak_at(i)
            && [before, Some(after)]
                .into_iter()
                .flatten()
                .filter_map(|j| words.get(j))
                .any(|w| consent_word(w))
    }) || ((0..words.len()).any(weak_at) && persian_consent);
    // A field's value written into the name ("Email opt-in: false"): a refusal where the field
    // is a consent; elsewhere ("spam=false", "is_test: false") it negates nothing. Cookie
    // consent is no consent to marketing.
    // "Email opt-in: false", or with the field's own word after it ("Consent given: false").
    let false_consent = (matches!(words.as_slice(), [.., field, "false"] if consent_word(field))
        || matches!(
            words.as_slice(),
            [.., field, "given" | "granted" | "status" | "accepted", "false"] if consent_word(field)
        ))
        && !words.iter().any(|w| {
            matches!(
                *w,
                "cookie" | "cookies" | "ad" | "ads" | "personalization" | "analytics"
            )
        });
    if false_consent {
        return "unsubscribe";
    }
    let negated = strong || bare_keyword || (0..words.len()).any(weak_at);
    if negated {
        let refusal = bare_keyword || (strong && about_consent) || (weak_about_consent && !engagement);
        return match positive {
            Some("newsletter_signup") | None if refusal => "unsubscribe",
            _ if refusal && positive != Some("purchase") => "unsubscribe",
            _ => "other",
        };
    }
    if is_no_engagement(raw, &e, positive) {
        return "other";
    }
    positive.unwrap_or("other")
}

/// An event of a GA4 export: its `click` (an outbound link) and its sites' own `cta_click`s are
/// clicks on the site, not in an email, unless the name says so; its `sign_up` is an account
/// made (GA4's recommended event), a form filled in (its other sign-ups, `newsletter_sign_up`,
/// `subscribe`, `sms_signup`, stay sign-ups).
fn ga4_event_type(raw: &str) -> &'static str {
    match normalize_event_type(raw) {
        "email_click" if !mentions_email(raw) => "other",
        "newsletter_signup" if EventText::new(raw).spaced == "sign up" => "form_submit",
        e => e,
    }
}

/// An event name that speaks of an email or newsletter ("email_click", "newsletter_link_click").
fn mentions_email(raw: &str) -> bool {
    let e = EventText::new(raw).spaced.replace("e mail", "email");
    ["mail", "newsletter", "ایمیل"].iter().any(|w| e.contains(w))
}

/// A message log's direction cell says the shop sent the message: Twilio's `outbound-api`,
/// `outbound-reply`; `Sent`, `Outgoing`, `MT`; «ارسالی», «خروجی». Anything else (`inbound`,
/// «دریافتی», empty) is the contact's.
fn outgoing(direction: &str) -> bool {
    let d = EventText::new(direction);
    d.word_starting(&["outbound", "outgoing", "sent", "ارسال", "خروجی"]) || d.word(&["out", "mt"])
}

/// Words of a consent a refusal is about (prefixes, then whole words).
const CONSENT_PREFIXES: [&str; 14] = [
    "subscri",
    "newsletter",
    "mailing",
    "marketing",
    "consent",
    "communication",
    "einwilligung",
    "werbe",
    "werbung",
    "promo",
    "email",
    "mail",
    "sms",
    "message",
];
const CONSENT_WORDS: [&str; 8] = [
    "list",
    "contact",
    "calls",
    "call",
    "emails",
    "newsletters",
    "optin",
    "optedin",
];
/// Refuse what they are said of, wherever it stands in the name.
const STRONG_NEGATIONS: [&str; 16] = [
    "stop",
    "stopped",
    "withdraw",
    "withdrawn",
    "withdrew",
    "revoke",
    "revoked",
    "paused",
    "pause",
    "pausiert",
    "abgesagt",
    "gekündigt",
    "kündigung",
    "beendet",
    "unsubscribed",
    "quit",
];
const PREPOSITIONS: [&str; 9] = ["from", "of", "to", "for", "von", "aus", "از", "به", "the"];
/// Refuse only the consent standing beside them.
const WEAK_NEGATIONS: [&str; 17] = [
    "no",
    "not",
    "never",
    "nein",
    "declined",
    "decline",
    "deleted",
    "delete",
    "nicht",
    "off",
    "denied",
    "unopened",
    "unread",
    "unclicked",
    "unviewed",
    "unwatched",
    "undelivered",
];

/// A message that did not arrive: a bounce, a failed or blocked delivery.
fn is_failure(e: &EventText) -> bool {
    e.word_starting(&["bounc", "fail", "undeliver"])
        || e.word(&["dropped", "deferred", "blocked", "rejected"])
        || e.has(&[
            "not delivered",
            "not found",
            "mailbox full",
            "invalid email",
            "invalid address",
        ])
}

pub(super) fn is_refusal(e: &EventText) -> bool {
    // Spam and abuse reports and complaints, not every name that mentions spam ("Signup (no
    // spam)"): a complaint or an abuse report in any wording, spam when someone marked,
    // flagged or reported it.
    let spam_report = e.word_starting(&["complain", "beschwerde"])
        || e.word(&["abuse", "fbl"])
        || e.has(&[
            "spam report",
            "spam complaint",
            "as spam",
            "marked spam",
            "flagged spam",
            "reported spam",
            "report spam",
        ])
        || e.has_joined(&["spamreport", "spamcomplaint", "markedasspam"])
        || e.spaced.trim() == "spam";
    spam_report
        || e.has(&[
            "unsub",
            "un subscri",
            "opt out",
            "opted out",
            "opting out",
            "do not email",
            "do not mail",
            "do not contact",
            "do not call",
            "abmeld",
            "abgemeld",
            "abbestell",
            "austrag",
            "ausgetragen",
            "widerruf",
            "اسپم",
            "لغو عضویت",
            "لغو اشتراک",
        ])
        || e.has_joined(&[
            "optout",
            "optedout",
            "donotcontact",
            "donotcall",
            "donotemail",
            "donotmail",
            "unsubscri",
        ])
        || e.word(&["dnc"])
        || listed_refusal(e)
}

/// Refusals named by a phrase a review of CRMs and mail tools found, each only as said (a
/// contact put on a block or suppression list, mail marked as junk, an objection to marketing,
/// an erasure request, French unsubscribes) and never when the name undoes it ("Removed from
/// suppression list", "Unsuppressed", "Not marked as junk", "Erasure request withdrawn",
/// "Objection to processing rejected", "Désabonnement annulé"), nor a system's own suppression
/// ("Notification suppressed (quiet hours)") or another preference ("Shipping preference: none").
/// A refusal missed lists someone who said no; one read wrongly only leaves someone off: where
/// a name is unclear ("Erasure request (account cancelled)"), it refuses.
fn listed_refusal(e: &EventText) -> bool {
    // A system's suppressed send ("Duplicate suppressed", "Email suppressed (daily limit)").
    let system_send = e.word_starting(&[
        "notif", "messag", "bounc", "password", "reset", "quiet", "frequen", "cap", "push", "alert",
        "duplicat", "sync", "workflow", "limit", "hours", "test", "event", "send",
    ]);
    // A page, a paper or a course about erasure or objection, not one asked for (a request
    // named is one, whatever page it came through).
    let content = !e.word_starting(&["request", "beantrag", "antrag", "demande", "angefordert"])
        && !e.has(&["درخواست"])
        && (e.word(&["read"])
            || e.word_starting(&[
                "view",
                "page",
                "download",
                "guide",
                "faq",
                "article",
                "webinar",
                "policy",
                "whitepaper",
                "practice",
                "click",
                "blog",
                "learn",
                "video",
            ]));
    let said = e.word_starting(&["désinscri", "desinscri", "désabonn", "desabonn"])
        || e.word(&["blocklisted", "blacklisted"])
        || (e.word(&["suppressed"])
            && (!system_send || e.has(&["suppressed via", "synced from", "after customer"])))
        || (!content
            && (e.word_starting(&["erasure", "datenlöschung", "effacement"])
                // A request to delete the person's data, not a review or an order.
                || (e.word_starting(&["löschantrag", "löschanfrage"])
                    && !e.word_starting(&["bewertung", "produkt", "bestell", "kommentar", "review"]))
                || e.has(&[
                "right to object",
                "deletion request",
                "right to be forgotten",
                "löschung der daten",
                "löschung beantragt",
                "löschung angefordert",
                "antrag auf löschung",
                "widerspruch nach art",
                "art. 21",
                "art 21 dsgvo",
                "droit d'opposition",
                "droit d opposition",
                "widerspruch werbung",
                "widerspruch gegen werbung",
                "werbung widersprochen",
                "werbewiderspruch",
                "suppression des données",
                "suppression des donnees",
                "opposition au démarchage",
                "opposition au demarchage",
                "opposition à la prospection",
                "opposition a la prospection",
                "droit à l'oubli",
                "droit à l oubli",
                "droit a l oubli",
                "درخواست حذف اطلاعات",
                "درخواست حذف داده",
                "درخواست حذف حساب",
                "مخالفت با دریافت تبلیغات",
            ])))
        || matches!(
            e.spaced.trim(),
            "permission withdrawn" | "permission revoked" | "permission removed" | "suppression list"
        )
        || e.has(&[
            "added to blocklist",
            "added to blacklist",
            "added to suppression",
            "added to the suppression",
            "on suppression list",
            "on the suppression list",
            // A contact suppressed, also from messages (a system's send is not: above).
            "manually suppressed",
            "contact suppressed",
            "subscriber suppressed",
            "suppressed from",
            "marked as junk",
            "reported as junk",
            "objection to marketing",
            "objection to direct marketing",
            "objection to processing",
            "objected to marketing",
            "marketing objection",
            "email preference none",
            "email preferences none",
            "marketing preference none",
            "marketing preferences none",
            "communication preference none",
            "communication preferences none",
            "marketing permission removed",
            "marketing permission revoked",
            "marketing permission withdrawn",
            "email permission removed",
            "email permission revoked",
            "email permission withdrawn",
        ]);
    // Undone: said and then taken back, or denied, by a phrase about the refusal itself ("a
    // customer not interested", "cannot send", "data removed from CRM" undo nothing).
    let undone = e.has(&[
        "removed from suppression",
        "removed from the suppression",
        "removed from blocklist",
        "removed from blacklist",
        "removed from the blocklist",
        "removed from the blacklist",
        "not marked",
        "not added",
        "not suppressed",
        "not blocklisted",
        "not blacklisted",
        "request withdrawn",
        "request cancelled",
        "request canceled",
        "request rejected",
        "objection rejected",
        "objection withdrawn",
        "désabonnement annulé",
        "desabonnement annule",
        "désinscription annulée",
        "desinscription annulee",
        "suppression lifted",
        "block lifted",
        "explained",
    ]) || (e.has(&["objection"]) && e.word(&["rejected", "withdrawn"]))
        || e.word(&["lifted"])
        || e.word_starting(&["unsuppress", "unblock", "undo"]);
    said && !undone
}

/// How many distinct event names a converter remembers the reading of.
const EVENT_NAMES_CACHED: usize = 4096;

/// The positive event a name speaks of, ignoring negations (those are [`normalize_event_type`]'s).
fn positive_event(e: &EventText) -> Option<&'static str> {
    // Also consent given to messages (Klaviyo's "Consented to Receive SMS").
    let signs_up = e.has(&[
        "subscrib",
        "sign up",
        "signup",
        "opt in",
        "opted in",
        "consented to",
        "consent given",
        "consent granted",
        "عضویت",
    ]) || e.has_joined(&["optin"]);
    let registers = signs_up || e.word_starting(&["regist", "anmeld"]) || e.has(&["ثبت نام"]);
    // A newsletter named without a word of signing up is an issue of it: opening it, clicking
    // in it, downloading it or viewing its page is that engagement ("Opened email: June
    // Newsletter", «کلیک روی لینک خبرنامه»), and the shop sending or delivering it is none of the
    // contact's ("Newsletter sent"). Read as sign-ups, a weekly newsletter made every
    // recipient a strong lead within months.
    let newsletter = e.has(&["newsletter", "خبرنامه"]);
    let issue = newsletter && !signs_up && !e.has(&["ثبت نام"]);
    let engaged = e.word_starting(&[
        "open",
        "read",
        "click",
        "view",
        "visit",
        "page",
        "download",
        "watch",
        "geöffnet",
        "geklickt",
    ]) || e.has(&["باز", "کلیک", "مشاهده", "بازدید", "دانلود", "خوانده"]);
    let event = e.has(&[
        "webinar",
        "workshop",
        "seminar",
        "conference",
        "وبینار",
        "کارگاه",
        "سمینار",
        "همایش",
    ]);
    // What the shop sends about them is nothing the contact did: a delivery, a reminder
    // ("Registration reminder", «یادآوری وبینار»; the text's آ is folded to ا), and a newsletter
    // or a webinar's invitation or recording received. A registration received, or one made
    // after a reminder, is the contact's own, and so is a sign-up in its own words ("Consented
    // to receive SMS").
    let received = e.word_starting(&["receiv"]) || e.has(&["دریافت شد"]);
    let reminder = (e.word_starting(&["remind"]) || e.word(&["erinnerung"]) || e.has(&["یاداوری"]))
        && !e.word(&["after", "nach", "following"]);
    let sent = is_delivery(e) || reminder;
    if !engaged
        && ((issue && (sent || received))
            || (registers && !signs_up && sent)
            || (event && !registers && (sent || received)))
    {
        return None;
    }
    // An issue passed on or printed, or named by its number ("Newsletter issue #12", "Newsletter
    // No. 12"): no sign-up, and no engagement the scores count.
    if issue
        && !engaged
        && (e.word_starting(&["forward", "shar", "print", "issue", "edition", "ausgabe"])
            || e.words().any(|w| w.chars().all(|c| c.is_numeric())))
    {
        return None;
    }
    Some(
        // A registration's page seen is a page view, also a webinar's: a page viewed or
        // visited, and no form sent on it.
        if registers
            && !signs_up
            && e.word_starting(&["page"])
            && e.word_starting(&["view", "visit", "seen"])
            && !e.has(&["submit", "form"])
        {
            "page_view"
        // A webinar, workshop or event one registers for: the registration is a form filled in
        // ("Webinar registration", «ثبت نام در وبینار»); attending it is a view (below).
        } else if registers && event {
            "form_submit"
        } else if (newsletter && !(issue && engaged)) || signs_up {
            "newsletter_signup"
        } else if e.has(&["download", "دانلود", "herunterlad"]) {
            "download"
        } else if e.word(&["form", "forms", "webform", "webforms", "formulaire", "responded"])
            || e.has(&[
                "formular",
                "submit",
                "submission",
                "فرم",
                "درخواست",
                "contact request",
                "demo request",
                "generate lead",
                "anfrage",
            ])
        {
            "form_submit"
        } else if e.has(&["video", "webinar", "ویدیو", "ویدئو", "فیلم", "وبینار"]) || e.word(&["attended"])
        {
            "video_view"
        } else if e.has(&[
            "email open",
            "mail open",
            "email read",
            "mail read",
            "opened",
            "open",
            // "Opening the email", "email opened", "viewing the email".
            "باز کردن ایمیل",
            "بازکردن ایمیل",
            "باز شدن ایمیل",
            "ایمیل باز شد",
            "مشاهده ایمیل",
        ]) {
            "email_open"
        } else if e.has(&["click", "کلیک"]) {
            "email_click"
        } else if e.has(&["page", "view", "visit", "seitenaufruf", "بازدید", "صفحه"]) {
            "page_view"
        } else if e.has(&["purchase", "order", "kauf", "bestell", "خرید", "سفارش"]) {
            "purchase"
        } else if registers {
            // An account or a registration made on the site ("Registration", «ثبت نام»).
            "form_submit"
        } else {
            return None;
        },
    )
}

/// The shop's own message went out: sent, delivered, queued ("Newsletter sent", «خبرنامه ارسال
/// شد»), which says nothing the contact did.
fn is_delivery(e: &EventText) -> bool {
    e.word_starting(&[
        "sent",
        "send",
        "deliver",
        "queued",
        "schedul",
        "dispatch",
        "processed",
        "zugestellt",
    ]) || e.word(&["versendet", "gesendet", "verschickt"])
        || e.has(&["ارسال", "تحویل"])
}

/// Failures, and tracking events that come with (or instead of) an engagement without being one.
fn is_no_engagement(raw: &str, e: &EventText, positive: Option<&str>) -> bool {
    if e.word_starting(&["abandon"]) || e.word(&["error", "noshow"]) || e.has(&["no show"]) {
        return true;
    }
    // GA4's automatic events: a visit's first page view and its session are the page_view
    // already counted, scrolling and engagement time are no event of their own.
    if e.has(&[
        "session start",
        "first visit",
        "first open",
        "user engagement",
        "scroll",
        "view promotion",
        "view item list",
    ]) {
        return true;
    }
    match positive {
        // Only the start (or a plain view) of a video is a view: progress marks and the
        // completion would count one video four or five times.
        Some("video_view") => {
            raw.contains('%')
                || e.word_starting(&[
                    "progress",
                    "complet",
                    "finish",
                    "percent",
                    "quartile",
                    "milestone",
                    "paus",
                    "seek",
                    "buffer",
                    "resum",
                ])
                || e.word(&["end", "ended", "ends"])
        }
        // A form that was shown or started is no submission.
        Some("form_submit") => {
            !e.has(&["submit", "submission"])
                && e.word(&[
                    "start",
                    "started",
                    "view",
                    "viewed",
                    "views",
                    "impression",
                    "impressions",
                    "open",
                    "opened",
                    "shown",
                    "displayed",
                    "loaded",
                ])
        }
        _ => false,
    }
}

pub struct ActivityConverter {
    cols: Cols,
    /// The event type of every row, when the file says it other than in an event column.
    implied_event: Option<&'static str>,
    /// The event column is a message's text: only refusals are read from it.
    message: bool,
    /// A GA4 event export ([`crate::mapping::is_ga4_export`]): its clicks are on the site.
    web_clicks: bool,
    /// Event names read as `other`, for the report.
    other_events: UnreadValues,
    /// Event names already read: exports repeat a few names over millions of rows, and reading
    /// one takes a few dozen word scans.
    event_cache: HashMap<String, &'static str>,
    dates: DateParser,
    source_key: ConstantText,
    /// Unsubscribes of rows quarantined (see [`super::refusals`]), and the refusals of the
    /// file's consent columns.
    refusals: super::refusals::Refusals,
    /// Consent or opt-out columns beside the events ("Email Opt Out"): a refusal there is kept
    /// in `curated/refusals`, whatever the row's event.
    consent: ConsentCols,
    /// Contacts whose refusal of a consent column is kept already: once per file is enough.
    refused: std::collections::HashSet<String>,
    contact: StringBuilder,
    email: StringBuilder,
    phone: StringBuilder,
    event: StringBuilder,
    event_raw: StringBuilder,
    ts: TimestampMicrosecondBuilder,
    page: StringBuilder,
    duration: Float64Builder,
    job_title: StringBuilder,
    source_line: Int64Builder,
    months: Vec<i32>,
    stats: ConvertStats,
    schema: SchemaRef,
}

impl ActivityConverter {
    pub fn new(m: &ColumnMapping, headers: &[String], samples: &[Row<'_>], cfg: &ConvertConfig) -> Self {
        let cols = Cols {
            key: KeyCols::of(m, headers, samples, cfg),
            event: col(m, Field::EventType),
            time: col(m, Field::EventTime),
            page: col(m, Field::Page),
            duration: col(m, Field::DurationSeconds),
            job_title: col(m, Field::JobTitle),
            direction: m.message_direction,
        };
        ActivityConverter {
            implied_event: m.implied_event.as_ref().map(|i| i.event_type),
            message: m.event_from_message,
            web_clicks: crate::mapping::is_ga4_export(headers),
            other_events: UnreadValues::default(),
            event_cache: HashMap::new(),
            dates: date_parser(samples, m, cols.time, cfg, crate::values::date::earliest_event()),
            cols,
            source_key: ConstantText::new(&cfg.source_key),
            refusals: super::refusals::Refusals::new(),
            consent: ConsentCols::beside_events(m, headers),
            refused: std::collections::HashSet::new(),
            contact: StringBuilder::new(),
            email: StringBuilder::new(),
            phone: StringBuilder::new(),
            event: StringBuilder::new(),
            event_raw: StringBuilder::new(),
            ts: TimestampMicrosecondBuilder::new().with_timezone("UTC"),
            page: StringBuilder::new(),
            duration: Float64Builder::new(),
            job_title: StringBuilder::new(),
            source_line: Int64Builder::new(),
            months: Vec::new(),
            stats: ConvertStats::default(),
            schema: activity_schema(),
        }
    }

    /// The row's event type, from the file's implied one or the event cell; None without either.
    #[inline]
    fn event_of(&mut self, event_raw: Option<&str>) -> Option<&'static str> {
        let raw = match (self.implied_event, event_raw) {
            (Some(implied), _) => return Some(implied),
            (None, Some(raw)) => raw,
            (None, None) => return None,
        };
        if let Some(e) = self.event_cache.get(raw) {
            return Some(e);
        }
        // A message that is no refusal is no event of its own.
        let e = match self.message {
            true if super::message::refuses(raw) => "unsubscribe",
            true => "other",
            false => match self.web_clicks {
                true => ga4_event_type(raw),
                false => normalize_event_type(raw),
            },
        };
        if self.event_cache.len() < EVENT_NAMES_CACHED {
            self.event_cache.insert(raw.to_string(), e);
        }
        Some(e)
    }

    /// Keeps the refusal the row's consent columns say (a yes in "Email Opt Out", a no in a
    /// consent column, a value of an opt-out that cannot be read), once per contact; whether one
    /// was kept.
    fn keep_consent_refusal(&mut self, line: u64, rec: &Row<'_>, contact: &str) -> bool {
        if !self.consent.is_some() {
            return false;
        }
        let refused = match self.consent.read(rec) {
            Ok(consent) => consent == Some(false),
            Err(_) => {
                *self.stats.consent_unclear.get_or_insert(0) += 1;
                true
            }
        };
        if !refused || !self.refused.insert(contact.to_string()) {
            return false;
        }
        self.keep(line, rec, contact, None);
        true
    }

    /// Keeps a refusal of the contact keyed `contact` on `line`, with the row's email and phone
    /// in their key forms; `event_raw`, the event as exported, None for a consent cell.
    fn keep(&mut self, line: u64, rec: &Row<'_>, contact: &str, event_raw: Option<&str>) {
        let k = &self.cols.key;
        self.refusals.keep(
            line,
            contact,
            (
                email_value(cell(rec, k.email)).as_deref(),
                k.phone_key(rec).as_deref(),
            ),
            event_raw,
        );
    }
}

impl Converter for ActivityConverter {
    fn schema(&self) -> SchemaRef {
        self.schema.clone()
    }

    fn partition_column(&self) -> Option<&'static str> {
        Some("event_month")
    }

    fn push(&mut self, line: u64, rec: &Row<'_>) -> std::result::Result<(), RowReject> {
        let c = &self.cols;
        if c.direction.is_some_and(|d| outgoing(cell(rec, Some(d)))) {
            return Err(RowReject::at(OUTGOING_MESSAGE, c.direction));
        }
        let Some(contact) = customer_key(rec, &c.key) else {
            return Err(RowReject::at("missing_contact", c.key.first()));
        };
        let event_raw = text(rec, c.event);
        let Some(event) = self.event_of(event_raw) else {
            return Err(RowReject::at("missing_event_type", self.cols.event));
        };
        let c = &self.cols;
        let ts = match self.dates.parse(cell(rec, c.time)) {
            Ok(Some(ts)) => ts,
            Ok(None) => return Err(RowReject::at("missing_date", c.time)),
            Err(e) => return Err(RowReject::at(e.code(), c.time)),
        };
        let duration =
            parse_duration_seconds(cell(rec, c.duration)).map_err(|e| RowReject::at(e.code(), c.duration))?;
        self.contact.append_value(&contact);
        self.email
            .append_option(email_value(cell(rec, c.key.email)).as_deref());
        self.phone.append_option(c.key.phone_key(rec).as_deref());
        self.event.append_value(event);
        self.event_raw.append_option(event_raw);
        *self.stats.event_types.entry(event).or_default() += 1;
        if event == "other"
            && let Some(raw) = event_raw
        {
            self.other_events.count(raw, Some(&contact));
        }
        let micros = ts.timestamp_micros();
        self.ts.append_value(micros);
        self.page.append_option(text(rec, c.page));
        self.duration.append_option(duration);
        self.job_title.append_option(grouped_text(rec, c.job_title));
        self.source_line.append_value(line as i64);
        self.months.push(month_key(ts));
        self.stats.see_ts(micros);
        self.keep_consent_refusal(line, rec, &contact);
        Ok(())
    }

    fn buffered(&self) -> usize {
        self.months.len()
    }

    fn finish_batch(&mut self) -> Result<(RecordBatch, Vec<i32>)> {
        let columns: Vec<ArrayRef> = vec![
            Arc::new(self.contact.finish()),
            Arc::new(self.email.finish()),
            Arc::new(self.phone.finish()),
            Arc::new(self.event.finish()),
            Arc::new(self.event_raw.finish()),
            Arc::new(self.ts.finish()),
            Arc::new(self.page.finish()),
            Arc::new(self.duration.finish()),
            Arc::new(self.job_title.finish()),
            self.source_key.rows(self.months.len()),
            Arc::new(self.source_line.finish()),
        ];
        Ok((
            RecordBatch::try_new(self.schema.clone(), columns)?,
            std::mem::take(&mut self.months),
        ))
    }

    /// An unsubscribe whose time (or duration) cannot be read still refuses: "an unsubscribe
    /// counts whatever its date", and so does a refusal in the row's consent columns. Not the
    /// shop's own message (`outgoing_message`, "Reply STOP to opt out"), and not a row without
    /// a contact.
    fn keep_refusal(&mut self, line: u64, rec: &Row<'_>, reason: &str) -> bool {
        if reason == OUTGOING_MESSAGE {
            return false;
        }
        let Some(contact) = customer_key(rec, &self.cols.key) else {
            return false;
        };
        let event_raw = text(rec, self.cols.event);
        if self.event_of(event_raw) != Some("unsubscribe") {
            return self.keep_consent_refusal(line, rec, &contact);
        }
        self.keep(line, rec, &contact, event_raw);
        true
    }

    fn finish_refusals(&mut self) -> Result<Option<RecordBatch>> {
        self.refusals.finish_batch(self.source_key.value())
    }

    fn refusals_buffered(&self) -> usize {
        self.refusals.buffered()
    }

    fn stats(&self) -> ConvertStats {
        ConvertStats {
            other_events: self.other_events.listed(),
            ..self.stats.snapshot()
        }
    }

    fn settings(&self) -> ParseSettings {
        ParseSettings {
            date_format: self.dates.describe(),
            date_order_from: None,
            date_order_learned_from: None,
            decimal_mark: None,
            timezone: self.dates.zone_label(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::normalize_event_type as n;

    #[test]
    fn event_types() {
        assert_eq!(n("Page View"), "page_view");
        assert_eq!(n("pageview"), "page_view");
        assert_eq!(n("Whitepaper Download"), "download");
        assert_eq!(n("form_submission"), "form_submit");
        assert_eq!(n("Video watched"), "video_view");
        assert_eq!(n("Newsletter Sign-up"), "newsletter_signup");
        assert_eq!(n("Unsubscribed"), "unsubscribe");
        assert_eq!(n("email_open"), "email_open");
        assert_eq!(n("Email Click"), "email_click");
        assert_eq!(n("بازدید صفحه"), "page_view");
        assert_eq!(n("لغو عضویت خبرنامه"), "unsubscribe");
        assert_eq!(n("عضویت در خبرنامه"), "newsletter_signup");
        for open in [
            "باز کردن ایمیل",
            "باز\u{200c}کردن ایمیل",
            "بازکردن ايميل",
            "ایمیل باز شد",
            "مشاهده ایمیل",
        ] {
            assert_eq!(n(open), "email_open", "{open}");
        }
        assert_eq!(n("کلیک ایمیل"), "email_click");
        assert_eq!(n("كليك ايميل"), "email_click");
        for refusal in [
            "Opted out",
            "Opted-Out",
            "Do Not Email",
            "Spam complaint",
            "Newsletter abgemeldet",
            "انصراف از خبرنامه",
        ] {
            assert_eq!(n(refusal), "unsubscribe", "{refusal}");
        }
        assert_eq!(n("something"), "other");
    }

    /// Every wording of a refusal is an unsubscribe, whatever positive word it also holds.
    #[test]
    fn refusals_of_real_tools_are_unsubscribes() {
        for refusal in [
            // Mailchimp's activity export.
            "unsub",
            "unsubscribe",
            "UNSUBSCRIBED",
            "Marketing email unsubscribed",
            "Unsubscribed from all email",
            "un-subscribe",
            // Mautic, HubSpot, Salesforce.
            "lead.donotcontact",
            "Do Not Contact",
            "do_not_contact",
            "DNC",
            "Email opt-out",
            "Email Opt Out",
            "opt-out",
            "optout",
            "Opted out of newsletter",
            // Spam complaints (SES, SendGrid, Mailchimp's abuse reports) are the strongest refusal.
            "spam report",
            "spamreport",
            "Marked as spam",
            "abuse",
            "Abuse report",
            "complaint",
            "Complained",
            // German.
            "Abmeldung",
            "Newsletter-Abmeldung",
            "Newsletter abbestellt",
            // Negations win over the positive word.
            "STOP",
            "Subscription cancelled",
            "Newsletter subscription withdrawn",
            "Consent declined",
            "Removed from list",
            "Not subscribed",
            "Kein Newsletter",
            // A privacy review's: French, block and suppression lists, junk, objections and
            // erasure requests, a permission removed, «استاپ» (STOP in Persian letters).
            "Désinscription",
            "Désabonnement newsletter",
            "Blocklisted",
            "Added to suppression list",
            "Marked as junk",
            "Right to object",
            "Objection to marketing",
            "Marketing permission removed",
            "Email preference: none",
            "GDPR deletion request",
            "استاپ",
            "Objected to marketing",
            // A second review's: refusals that say more, or say it otherwise.
            "Blocklisted - cannot send",
            "Added to suppression list: cannot email",
            "GDPR deletion request - customer informed",
            "Erasure request (account cancelled)",
            "Right to be forgotten - cancel account",
            "GDPR erasure",
            "Request for erasure",
            "Contact requested erasure",
            "Manually suppressed",
            "Suppressed from email",
            "Contact suppressed",
            "Permission withdrawn",
            // A third review's: refusals that name more, and in German, French and Persian.
            "Désinscription - abonnement annulé",
            "Désabonnement (abonnement annulé)",
            "Erasure request: removed from all lists",
            "GDPR deletion request - data removed from CRM",
            "Suppressed from marketing messages",
            "Marketing objection - customer not interested",
            "Werbewiderspruch",
            "Widerspruch gegen Werbung",
            "Löschantrag (DSGVO)",
            "Datenlöschung beantragt",
            "Opposition à la prospection",
            "Demande d'effacement RGPD",
            "Droit à l'oubli",
            "درخواست حذف اطلاعات",
            // A fourth review's: suppressions and erasures in other words, and in German,
            // French and Persian.
            "Suppressed at customer's request",
            "Email suppressed at customer request",
            "Suppressed: GDPR",
            "Suppressed by admin",
            "Suppressed (manual)",
            "Suppressed",
            "Erasure",
            "Erasure completed",
            "GDPR erasure completed",
            "Data erasure completed",
            "Antrag auf Löschung",
            "Datenlöschung",
            "Widerspruch Werbung",
            "Werbung widersprochen",
            "Löschung der Daten angefordert",
            "Löschanfrage",
            "Demande de suppression des données",
            "Opposition au démarchage",
            "Effacement des données demandé",
            "درخواست حذف داده‌ها",
            "مخالفت با دریافت تبلیغات",
            "Blacklisted - rejected all marketing",
            // A fifth review's: requests made through a page, other wordings.
            "Deletion request submitted via privacy policy page",
            "Erasure request via privacy page",
            "Right to be forgotten request (web page)",
            "Erasure request - ready for processing",
            "Deletion request viewed by DPO",
            "Löschung beantragt",
            "Widerspruch nach Art. 21 DSGVO",
            "Droit d'opposition exercé",
            "On suppression list",
            "Suppression list",
            "Suppressed via HubSpot sync",
            "Suppressed (synced from Salesforce)",
            "Suppressed after customer message",
            // A revoked or false opt-in: the opt-in is what is refused.
            "Opt-in revoked",
            "Revoked opt-in",
            "Opt-in withdrawn",
            "Email opt-in: false",
            "Opted-in: false",
        ] {
            assert_eq!(n(refusal), "unsubscribe", "{refusal}");
        }
        assert_eq!(n("Email opt-in: true"), "newsletter_signup");
        assert_eq!(n("Opt-in"), "newsletter_signup");
        // "false" is a field's value: it refuses only a consent field.
        assert_eq!(n("Contact form submitted (spam=false)"), "form_submit");
        assert_eq!(n("Newsletter signup (is_test: false)"), "newsletter_signup");
        assert_eq!(n("Email opt-in double: false"), "newsletter_signup");
        assert_ne!(n("Cookie consent: false"), "unsubscribe");
        assert_ne!(n("ad_personalization consent false"), "unsubscribe");
        assert_eq!(n("Consent given: false"), "unsubscribe");
        assert_eq!(n("Marketing consent status: false"), "unsubscribe");
        // A refusal's own field, false, refuses nothing.
        for not_refused in [
            "Unsubscribed: false",
            "Opt-out: false",
            "opt_out=false",
            "hs_email_optout: false",
        ] {
            assert_eq!(n(not_refused), "other", "{not_refused}");
        }
    }

    /// «لغو دریافت خبرنامه» holds «خبرنامه» (newsletter) but is the opt-out from it.
    #[test]
    fn persian_negations_win_over_the_newsletter() {
        for refusal in [
            "لغو دریافت خبرنامه",
            "لغو عضویت",
            "لغو عضویت خبرنامه",
            "لغو\u{200c}عضویت",
            "لغوعضویت در خبرنامه",
            "لغو اشتراک",
            "لغو اشتراك",
            "لغو اشتراک خبرنامه",
            "انصراف از خبرنامه",
            "انصراف از دریافت ایمیل",
            "عدم دریافت",
            "عدم دریافت خبرنامه",
            "عدم\u{200c}دریافت ايميل",
            "لغو",
            "حذف از خبرنامه",
            "گزارش اسپم",
        ] {
            assert_eq!(n(refusal), "unsubscribe", "{refusal}");
        }
        assert_eq!(n("عضویت در خبرنامه"), "newsletter_signup");
        assert_eq!(n("دریافت خبرنامه"), "newsletter_signup");
    }

    /// A negated or failed positive event is no engagement: `other`, never a positive type.
    #[test]
    fn negated_and_failed_events_are_not_positive() {
        for other in [
            "bounce",
            "hard bounce",
            "Soft bounce",
            "Bounced",
            "Not opened",
            "unopened",
            "Cancelled order",
            "Order cancelled",
            "Webinar no-show",
            "Form submission failed",
            "Form abandoned",
            "Stopped video",
            "لغو سفارش",
            "لغو دانلود",
            "عدم بازدید",
            "Cancelled",
            "sent",
            "delivered",
        ] {
            assert_eq!(n(other), "other", "{other}");
        }
    }

    #[test]
    fn free_text_is_not_taken_for_an_event_name() {
        for name in [
            "session_start",
            "Webinar registered",
            "ثبت نام",
            "lead.stage_changed",
        ] {
            assert!(super::super::unread::looks_like_event_name(name), "{name}");
        }
        for text in [
            "Email sent to ann@x.com",
            "Call with Maryam",
            "تماس با مریم احمدی",
            "Call 0912 345 6789",
            "Call with Maryam Ahmadi about the renewal",
            "Invoice 100234 paid",
            "A note that is much longer than any event name would ever be",
        ] {
            assert!(!super::super::unread::looks_like_event_name(text), "{text}");
        }
    }

    /// Names that mention a negation, spam or a deletion without refusing anything, and opt-outs
    /// worded in other ways (the third review's list).
    #[test]
    fn refusals_are_told_from_names_that_only_mention_a_negation() {
        for not_a_refusal in [
            // A sales call about an objection, a blocked (failed) delivery, a permission given;
            // refusals undone or denied, a system's own suppressions, an app's permissions, and
            // another preference (a review of the first version of these rules found each).
            "Call: handled pricing objection",
            "Email blocked",
            "Marketing permission granted",
            "Removed from suppression list",
            "Unsuppressed",
            "Removed from blocklist",
            "Removed from blacklist",
            "Notification suppressed (quiet hours)",
            "Message suppressed: frequency cap",
            "Bounce suppressed",
            "Password reset email suppressed",
            "Push permission denied",
            "Location permission denied",
            "Permission not granted",
            "Account deletion request cancelled",
            "Erasure request withdrawn",
            "Not marked as junk",
            "Shipping preference: none",
            "Objection to processing rejected",
            "Right to object explained in call",
            "Désabonnement annulé",
            // A third review's: system suppressions, pages and papers about erasure.
            "Duplicate suppressed",
            "Event suppressed (duplicate)",
            "Sync suppressed",
            "Workflow email suppressed (contact in another workflow)",
            "Send suppressed - outside business hours",
            "Email suppressed (daily limit)",
            "Viewed erasure policy",
            "Downloaded data erasure whitepaper",
            "Webinar: GDPR erasure best practices",
            // A fourth review's: pages and papers about the rights.
            "Viewed right to erasure page",
            "Downloaded: Right to erasure guide",
            "Clicked: Right to be forgotten FAQ",
            "Page view: /gdpr/right-to-be-forgotten",
            "Read article: Right to object",
            // A fifth review's: deletions of an order, a product or a review, and a block lifted.
            "درخواست حذف سفارش",
            "درخواست حذف محصول",
            "درخواست حذف نظر",
            "Löschanfrage Bewertung",
            "Blacklisted - lifted",
            "Newsletter No. 12 opened",
            "Newsletter no 5 clicked",
            "خروج",
            "Beendet",
            "Abgesagt",
            "Paused",
            "غیرفعال",
            "Newsletter not opened",
            "Newsletter unopened",
            "Newsletter nicht geöffnet",
            "Newsletter nicht zugestellt",
            "Signup not confirmed",
            "Newsletter signup (no spam)",
            "Subscribe - we never spam",
            "Signup form - no credit card",
            "Free trial sign up - no card needed",
            "Opened: How to avoid the spam folder",
            "Mailbox not found",
            "Email not delivered",
            "Undelivered email",
            "لغو پرداخت",
            "لغو رزرو",
            "Session stop",
            "Tracking stopped",
            "Promo code removed",
            "Listing removed",
            "Newsletter popup dismissed",
            // Only the whole event is a carrier's opt-out word.
            "Video end",
            "Session end",
            "Order cancelled",
            "Cancel order",
            "End",
            "Cancel",
            "11",
        ] {
            assert_ne!(n(not_a_refusal), "unsubscribe", "{not_a_refusal}");
        }
        for refusal in [
            "email.complained",
            "Marked Email as Spam",
            "Email complaint",
            "complaint_received",
            "Flagged as spam",
            "Email reported as abuse",
            "No newsletter",
            "Newsletter: no",
            "No marketing",
            "No emails",
            "No SMS",
            "Never email",
            "Email marketing: no",
            "Marketing consent: no",
            "Email declined",
            "Promo emails declined",
            "Stop promotions",
            "Promotions stopped",
            "Keine E-Mails mehr",
            "Email removed",
            "Contact removed",
            "عدم ارسال ایمیل",
            "حذف ایمیل",
            "Newsletter: nein",
            "Einwilligung entzogen",
            "Subscription deactivated",
            "Do not call",
            "Newsletter pausiert",
            "Newsletter deactivated",
            "خروج از خبرنامه",
            "غیرفعال کردن خبرنامه",
            "Subscriber deleted",
            "subscriber.deleted",
            "Newsletter abgesagt",
            "Newsletter gekündigt",
            "Newsletter-Abo beendet",
            "Newsletter paused",
            "Removed from list",
            "Stop emails",
            "STOP",
            "لغو",
            "STOP ALL",
            "انصراف١١",
            "لغو11",
            "لغو ۱۱",
            "لغو۱۱",
            "spam report",
            "Marked as spam",
            "complaint",
        ] {
            assert_eq!(n(refusal), "unsubscribe", "{refusal}");
        }
    }

    /// GA4 sends `video_start`, then `video_progress` at 10/25/50/75 % and `video_complete` for
    /// one view, and `session_start`/`first_visit` beside the visit's `page_view`.
    #[test]
    fn ga4_events() {
        for other in [
            "video_progress",
            "video_complete",
            "session_start",
            "first_visit",
            "user_engagement",
            "scroll",
            "form_start",
            "view_promotion",
            "view_item_list",
            "Video 50% watched",
            "Video completed",
        ] {
            assert_eq!(n(other), "other", "{other}");
        }
        assert_eq!(n("page_view"), "page_view");
        assert_eq!(n("video_start"), "video_view");
        assert_eq!(n("file_download"), "download");
        assert_eq!(n("form_submit"), "form_submit");
        assert_eq!(n("generate_lead"), "form_submit");
        assert_eq!(n("purchase"), "purchase");
        // In a GA4 export, `sign_up` is an account made; a newsletter's sign-up says so.
        assert_eq!(super::ga4_event_type("sign_up"), "form_submit");
        assert_eq!(super::ga4_event_type("newsletter_sign_up"), "newsletter_signup");
        for signup in ["subscribe", "opt_in", "double_opt_in", "sms_signup"] {
            assert_eq!(super::ga4_event_type(signup), "newsletter_signup", "{signup}");
        }
        assert_eq!(super::ga4_event_type("click"), "other");
        assert_eq!(super::ga4_event_type("email_link_click"), "email_click");
        assert_eq!(super::ga4_event_type("form_submit"), "form_submit");
    }

    /// A newsletter named without a sign-up word is an issue of it: what the contact did with
    /// it is that engagement, and the shop sending it is nothing the contact did.
    #[test]
    fn a_newsletters_issue_is_no_sign_up() {
        for (raw, want) in [
            ("Newsletter sent", "other"),
            ("Newsletter delivered", "other"),
            ("خبرنامه ارسال شد", "other"),
            ("Newsletter received", "other"),
            ("خبرنامه دریافت شد", "other"),
            ("Newsletter forwarded", "other"),
            ("Newsletter shared", "other"),
            ("Newsletter issue #12", "other"),
            ("Newsletter No. 12", "other"),
            ("دریافت خبرنامه", "newsletter_signup"),
            ("Opened email: June Newsletter", "email_open"),
            ("Newsletter opened", "email_open"),
            ("Clicked link in newsletter", "email_click"),
            ("Page view: /newsletter", "page_view"),
            ("Downloaded newsletter PDF", "download"),
            ("باز کردن ایمیل خبرنامه", "email_open"),
            ("کلیک روی لینک خبرنامه", "email_click"),
            // Sign-ups, however the name puts them.
            ("Newsletter", "newsletter_signup"),
            ("Newsletter Sign-up", "newsletter_signup"),
            ("Subscribed to newsletter", "newsletter_signup"),
            ("Newsletter subscription", "newsletter_signup"),
            // Seeing the sign-up page is no sign-up.
            ("Newsletter subscription page viewed", "page_view"),
            ("Signup form submitted", "newsletter_signup"),
            ("عضویت در خبرنامه", "newsletter_signup"),
            ("Consented to Receive SMS", "newsletter_signup"),
            ("Consent withdrawn", "unsubscribe"),
            ("ثبت\u{200c}نام در خبرنامه", "newsletter_signup"),
            // Refusals and non-events stay what they were.
            ("Newsletter unsubscribed", "unsubscribe"),
            ("Newsletter not opened", "other"),
            ("Stop newsletter", "unsubscribe"),
        ] {
            assert_eq!(n(raw), want, "{raw}");
        }
    }

    /// Other tools' names for the positive events.
    #[test]
    fn positive_events_of_real_tools() {
        for (raw, want) in [
            ("email.read", "email_open"),
            ("page.hit", "page_view"),
            ("asset.download", "download"),
            ("form.submitted", "form_submit"),
            ("video.hit", "video_view"),
            ("Responded", "form_submit"),
            ("Attended", "video_view"),
            ("Webinar attended", "video_view"),
            ("Formular abgeschickt", "form_submit"),
            ("Kontaktformular", "form_submit"),
            ("ثبت درخواست", "form_submit"),
            ("تکمیل فرم", "form_submit"),
            ("ثبت\u{200c}نام در خبرنامه", "newsletter_signup"),
            // A registration is a form filled in; attending is a view.
            ("ثبت\u{200c}نام در وبینار", "form_submit"),
            ("Webinar registration", "form_submit"),
            ("Registered for webinar", "form_submit"),
            ("Webinar sign-up", "form_submit"),
            ("Registration", "form_submit"),
            ("Webinar watched", "video_view"),
            // What the shop sends about a registration is nothing the contact did; its page
            // seen is a page view.
            ("Registration reminder sent", "other"),
            ("Registration confirmation email sent", "other"),
            ("Webinar registration confirmation sent", "other"),
            ("Webinar reminder", "other"),
            ("Webinar registration page viewed", "page_view"),
            ("Registration page viewed", "page_view"),
            ("Registration confirmed", "form_submit"),
            // The contact's own registration, however it was reached.
            ("Registration received", "form_submit"),
            ("Webinar registration received", "form_submit"),
            ("Registered after reminder", "form_submit"),
            ("Registration reminder", "other"),
            ("Webinar registration reminder", "other"),
            ("Reminder: webinar registration", "other"),
            ("Anmeldung Erinnerung", "other"),
            ("Newsletter reminder", "other"),
            ("Webinar invitation received", "other"),
            ("Webinar recording received", "other"),
            ("یادآوری وبینار", "other"),
            ("یادآوری ثبت نام وبینار", "other"),
            ("ثبت نام وبینار دریافت شد", "form_submit"),
            (
                "Form submission: Webinar registration landing page",
                "form_submit",
            ),
            ("Submitted registration form on landing page", "form_submit"),
            ("Registration form submitted - contact page", "form_submit"),
            ("Registered for webinar from Facebook page", "form_submit"),
            ("Double opt-in", "newsletter_signup"),
            ("ثبت سفارش", "purchase"),
            // "form" is a word, not part of one.
            ("Viewed information page", "page_view"),
            ("Platform login", "other"),
        ] {
            assert_eq!(n(raw), want, "{raw}");
        }
    }
}
