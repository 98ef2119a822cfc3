//! Refusals in the messages contacts send to a shop's SMS line: an SMS panel's inbox or a
//! messaging service's log, whose message column is the event column (see
//! `ColumnMapping::event_from_message`). Customers refuse in a panel's keyword («لغو11», `STOP`)
//! and as often in a sentence of their own, in any register: «لطفا دیگه پیامک نفرستید»,
//! «خواهشمند است از ارسال پیامک خودداری فرمایید», «شمارمو حذف کنید», «اشتباه گرفتید», "Please
//! stop texting me", "Take my number off your list", "Bitte keine SMS mehr".
//!
//! Erring one way keeps a willing customer off a list; erring the other sends messages to
//! someone who asked for none. So a request about messages or about the person's number counts
//! however it is put, while words that only may refuse ("stop", "don't send", "not interested",
//! «لغو») count in a reply of a few words and never in a message about an order, a payment or a
//! product («سفارش رو ارسال نکنید», «پرداخت لغو شد», "Will the sale stop on Sunday?").
//! Questions in the passive («لغو شد؟») and complaints in the past tense («چرا نفرستادید؟») are no
//! requests, and the shop's own messages, which tell how to refuse, are no refusal.

use super::activity::{EventText, is_refusal, normalize_event_type};

/// The shop's own message (a sent-messages log read as an inbox) tells how to refuse: "Reply
/// STOP to opt out", «برای لغو عضویت عدد ۱۱ را ارسال کنید». Read as refusals, they would take
/// everyone the shop texted off the lists.
const INSTRUCTIONS: &[&str] = &[
    "reply stop",
    "text stop",
    "txt stop",
    "send stop",
    "stop to",
    "برای لغو",
    "جهت لغو",
    "برای انصراف",
    "جهت انصراف",
];

/// Words of a message about an order, a payment or a product (word prefixes).
const ABOUT_OTHER: &[&str] = &[
    "order",
    "package",
    "parcel",
    "deliver",
    "shipment",
    "invoice",
    "item",
    "payment",
    "charge",
    "card",
    "refund",
    "address",
    "product",
    "price",
    "stock",
    "warrant",
    "سفارش",
    "بسته",
    "مرسوله",
    "کالا",
    "پیک",
    "فاکتور",
    "پرداخت",
    "تراکنش",
    "خرید",
    "جنس",
    "پول",
    "واریز",
    "ادرس",
    "کارت",
    "محصول",
    "قیمت",
    "پیگیری",
    "موجود",
];

/// Words naming messages, or the marketing they carry (word prefixes; Finglish `payam`).
const MESSAGES: &[&str] = &[
    "text",
    "messag",
    "sms",
    "spam",
    "promo",
    "promotion",
    "discount",
    "coupon",
    "offer",
    "deal",
    "advert",
    "marketing",
    "newsletter",
    "nachricht",
    "werbung",
    "پیام",
    "تبلیغ",
    "payam",
];

/// Refusing what they are said of, even in a message that also mentions an order («من خرید
/// نکردم، پیام ندید»): send none, I want none, no more; and [`DONT_SEND`]'s.
const REFUSING: &[&str] = &[
    "ندید",
    "ندین",
    "ندهید",
    "نده",
    "نزنید",
    "نزنین",
    "ننمایید",
    "نفرمایید",
    "خودداری",
    "نمی خوام",
    "نمیخوام",
    "نمی خام",
    "نمیخام",
    "نمی خواهم",
    "نمیخواهم",
    "ممنوع",
    "stop texting",
    "no more",
    "no longer",
    "don t want",
    "dont want",
    "do not want",
    "enough",
    "cease",
    "nadid",
    "nadin",
    "nafrestid",
    "nafrestin",
    "nafrest",
    "nazanid",
    "keine",
    "nicht mehr",
];

/// Refusing what they are said of only in a message about nothing else: "Remove this promo?"
/// may be about a coupon.
const MAY_REFUSE: &[&str] = &[
    "don t",
    "dont",
    "do not",
    "stop",
    "remove",
    "delete",
    "حذف",
    "لغو",
    "انصراف",
    "قطع",
    "aufhören",
    "löschen",
];

/// Requests about the person's number or about contacting them: refusals whatever else the
/// message says.
const EXPLICIT: &[&str] = &[
    "remove me",
    "remove my number",
    "remove my email",
    "remove my details",
    "delete me",
    "delete my number",
    "take me off",
    "take my number off",
    "lose my number",
    "opt me out",
    "leave me alone",
    "stop texting",
    "stop messaging",
    "stop contacting",
    "quit texting",
    "quit messaging",
    "do not text",
    "don t text",
    "dont text",
    "don t message",
    "do not message",
    "don t contact",
    "dont contact",
    "do not contact",
    "never signed up",
    "didn t sign up",
    "did not sign up",
    "never gave you my number",
    "who gave you my number",
    "no longer wish",
    "don t wish",
    "do not wish",
    "مزاحم نشوید",
    "مزاحم نشید",
    "مزاحم نشین",
    "مزاحمم نشید",
    "مزاحم نشو",
    "ولم کنید",
    "ولم کن",
    "ولمون کنید",
    "دست از سرم",
    "بلاک",
    "خارجم کنید",
    "خارجم کن",
    "حذفم کنید",
    "حذفم کن",
    "پاکم کنید",
    "عضو نشدم",
    "ثبت نام نکردم",
    "hazf konid",
    "hazfam konid",
    "hören sie auf",
    "nicht mehr schreiben",
];

/// Someone who is not the customer: the shop has a wrong number.
const WRONG_PERSON: &[&str] = &[
    "اشتباه گرفتید",
    "اشتباه گرفتین",
    "اشتباه گرفتی",
    "شماره اشتباهه",
    "شماره اشتباهی",
    "شماره اشتباه",
    "شماره اشتباه است",
    "اشتباه وارد",
    "مال من نیست",
    "برای من نیست",
    "مشتری شما نیستم",
    "صاحب قبلی",
    "واگذار",
    "eshtebah gereftid",
    "eshtebah gereftin",
    "wrong number",
    "wrong person",
    "wrong no",
    "wrong num",
    "not my number",
    "isn t my number",
    "no longer my number",
    "number is no longer",
    "doesn t have this number",
    "falsche nummer",
];

/// A wish not to be contacted, said shortly: in a reply of a few words it refuses.
const UNWANTED: &[&str] = &[
    "not interested",
    "kein interesse",
    "no more",
    "don t want",
    "dont want",
    "بس کنید",
    "بسه",
    "بسه دیگه",
    "عدم تمایل",
    "عدم دریافت",
];

/// The message also asks to be sent something: «فردا نفرستید، شنبه بفرستید», "Don't text me
/// the code, email it". A matter of when or how, not of whether.
const ASKS_TO_SEND: &[&str] = &[
    "بفرستید",
    "بفرستین",
    "ارسال کنید",
    "send it",
    "email it",
    "mail it",
    "email me",
    "text it",
];

/// "Don't send", «نفرستید», «ارسال نکنید»: a refusal said of messages, with "any more", or in a
/// reply of a few words ("Please don't send"; "Don't send the blue one" is about the blue one).
const DONT_SEND: &[&str] = &[
    "نفرستید",
    "نفرستین",
    "نفرست",
    "نفرستی",
    "ارسال نکنید",
    "ارسال نکنین",
    "ارسال نکن",
    "ارسال نشود",
    "ارسال نشه",
    "don t send",
    "dont send",
    "do not send",
    "stop sending",
];

/// Whether the message asks for no more messages (see the module's documentation).
pub(super) fn refuses(raw: &str) -> bool {
    let e = EventText::new(raw);
    let words: Vec<&str> = e.words().filter(|w| !w.is_empty()).collect();
    let phrase = |ps: &[&str]| ps.iter().any(|p| has_phrase(&e.spaced, p));
    // And "Don't stop sending deals!" wants more.
    if phrase(INSTRUCTIONS)
        || phrase(&[
            "don t stop",
            "dont stop",
            "do not stop",
            "never stop",
            "keep sending",
        ])
    {
        return false;
    }
    let about_other = e.word_starting(ABOUT_OTHER);
    let messages = e.word_starting(MESSAGES) || e.word(&["اس", "ads", "ad"]) || e.has(&["اس ام اس"]);
    // «لغو شد؟» (was it cancelled?) asks; it does not refuse.
    let passive = e.word(&["شد", "شده", "شدم", "شدن"]);
    let eleven = |w: &str| crate::values::normalize_digits(w) == "11";
    // Numbers aside: «لغو 11 لغو 11» is the keyword twice.
    let said = words.iter().filter(|w| !w.chars().all(char::is_numeric)).count();
    let few_words = said <= 4;
    let has_keyword = words.iter().any(|w| keyword(w));
    // A panel's keyword alone or nearly («لطفا لغو۱۱», "Stop please", a bare `11`), first and
    // followed by a stop mark ("STOP!!! I told you"), or the code named with messages («کد ۱۱
    // رو ارسال کردم ولی بازم پیام میاد»).
    let keyword_reply = (said <= 3 && has_keyword && !passive)
        || (words.len() == 1 && eleven(words[0]))
        || leading_keyword(raw)
        || (messages && words.iter().any(|w| eleven(w)))
        // «چند بار بگم لغو؟», "How many times do I have to say STOP?"
        || (has_keyword && phrase(&["چند بار", "how many times"]));
    if keyword_reply && !about_other {
        return true;
    }
    let my_number = e.word_starting(&["شمارم"])
        || phrase(&[
            "شماره من",
            "شماره منو",
            "شماره ام",
            "شماره مرا",
            "شماره من را",
            "شماره اینجانب",
        ])
        || phrase(&["meine nummer", "shomare mano", "shomare man"]);
    let explicit = phrase(EXPLICIT)
        || (my_number && e.has(&["حذف", "پاک", "löschen", "streichen", "entfernen", "hazf"]))
        || (e.has(&["منو", "من را", "مرا"]) && e.has(&["حذف کن", "پاک کن", "خارج کن", "بردار"]))
        || (e.has(&["لیست"]) && e.has(&["حذف", "خارج", "بردار"]))
        // «من علی نیستم»: I am not (the name the message greeted).
        || (words.len() <= 4 && words.first() == Some(&"من") && words.last() == Some(&"نیستم"));
    // "Wrong #": the sign is no word. "I'm not Sarah": not the person the shop greeted.
    let not_them =
        words.len() <= 4 && (words.starts_with(&["i", "m", "not"]) || words.starts_with(&["i", "am", "not"]));
    let wrong_person =
        (phrase(WRONG_PERSON) && !phrase(&["wrong number of"])) || words == ["wrong"] || not_them;
    let asks_to_send = phrase(ASKS_TO_SEND);
    if explicit
        || (wrong_person && !about_other)
        || (messages && (phrase(REFUSING) || phrase(DONT_SEND)) && !asks_to_send)
    {
        return true;
    }
    if about_other {
        return false;
    }
    // The event vocabulary's refusals: "Unsubscribe me", «لغو عضویت پیامک», "This is spam"; its
    // rules for names of a few words ("Promo stopped") only in a reply of a few words ("When
    // does the promo stop?" asks about the promotion).
    if is_refusal(&e)
        || phrase(&["is spam"])
        || (few_words && !passive && normalize_event_type(raw) == "unsubscribe")
    {
        return true;
    }
    let unwanted = (e.has(&["مایل"]) && e.word(&["نیستم"]))
        || (e.has(&["تمایل", "علاقه"]) && e.word(&["ندارم", "نداریم"]))
        || phrase(UNWANTED);
    // «ارسال رو متوقف کنید»: stop the sending, of whatever is sent to them.
    let halt_sending = e.has(&["ارسال"]) && e.has(&["متوقف"]);
    let again = e.word(&["دیگه", "دیگر", "anymore", "again", "mehr"]) || phrase(&["any more"]);
    // A question about a promotion ("When does the promo stop?") asks about it.
    let question = raw.contains(['?', '؟']);
    (messages && ((phrase(MAY_REFUSE) && !question) || unwanted) && !asks_to_send)
        || (phrase(DONT_SEND) && !asks_to_send && (again || few_words))
        || halt_sending
        || (unwanted && few_words)
}

/// `phrase` occurs in `spaced` (words separated by single spaces) as whole words. A log may hold
/// millions of messages, each tried against a few hundred phrases: no allocation.
fn has_phrase(spaced: &str, phrase: &str) -> bool {
    spaced.match_indices(phrase).any(|(at, _)| {
        let end = at + phrase.len();
        (at == 0 || spaced.as_bytes()[at - 1] == b' ')
            && (end == spaced.len() || spaced.as_bytes()[end] == b' ')
    })
}

/// A panel's keyword, however typed: «لغو11», «11لغو», «لغوو», «لغوِ», Finglish `laghv11`,
/// `lagv`, `Stopp`, `stahp`.
fn keyword(w: &str) -> bool {
    let letters: String = w
        .chars()
        .filter(|c| !c.is_numeric() && !matches!(c, '\u{064B}'..='\u{065F}' | '\u{0670}'))
        .collect();
    matches!(
        letters.as_str(),
        "لغو"
            | "لغوو"
            | "laghv"
            | "laghvv"
            | "laghve"
            | "lagv"
            | "laghw"
            | "انصراف"
            | "stop"
            | "stopp"
            | "stahp"
            | "stopall"
            | "unsubscribe"
    )
}

/// The message starts with a keyword and a stop mark: "STOP!!! I told you", «لغو. دیگه
/// نفرستید». ("Stop by the store tomorrow?" does not.)
fn leading_keyword(raw: &str) -> bool {
    let leading = raw.trim_start();
    let word: String = leading.chars().take_while(|c| c.is_alphanumeric()).collect();
    !word.is_empty()
        && keyword(&word.to_lowercase())
        && leading[word.len()..]
            .chars()
            .next()
            .is_some_and(|c| matches!(c, '!' | '.' | ',' | '،' | '؛' | ';'))
}

#[cfg(test)]
mod tests {
    use super::refuses;

    /// What customers write back to an SMS panel when they want no more messages, and what
    /// they write about their orders, which must not take them off the lists.
    #[test]
    fn messages_that_ask_for_no_more_messages() {
        for refusal in [
            "لغو11",
            // Stored in presentation forms, as some panels do.
            "ﻟﻐﻮ",
            "ﭘﯿﺎﻣﮏ ﻧﻔﺮﺳﺘﯿﺪ",
            "لطفا پیامک نفرستید",
            "دیگه پیام ندید لطفا",
            "دیگر برای من پیامک ارسال نکنید",
            "اینقدر اس ام اس ندید",
            "تبلیغ نفرستین",
            "شماره منو حذف کنید",
            "شماره‌ام را از لیست پاک کنید",
            "لطفا منو از لیستتون بردارید",
            "مزاحم نشوید",
            "نمیخوام پیامک بیاد",
            "لطفا لغو",
            "انصراف",
            "Please stop texting me",
            "STOP!!!",
            "Stop please",
            "Don't send me these anymore",
            "don't text me about my order",
            "Remove me from your list",
            "wrong number",
            "No more messages",
            "unsubscribe me",
            "Not interested, thanks",
            // Colloquial and formal Persian.
            "شمارمو حذف کنید",
            "حذفم کنید",
            "اشتباه گرفتید",
            "شماره اشتباهه",
            "این شماره مال من نیست",
            "من مشتری شما نیستم",
            "علاقه\u{200c}ای ندارم",
            "خواهشمند است از ارسال پیامک به این شماره خودداری فرمایید",
            "لطفاً از ارسال پیامک تبلیغاتی خودداری کنید",
            "دیگر پیامک ارسال ننمایید",
            "لطفا پیامک ارسال نفرمایید",
            "مایل به دریافت پیامک نیستم",
            "تمایلی به دریافت پیام ندارم",
            "ارسال پیامک رو قطع کنید",
            "بس کنید دیگه",
            "اس نزنید",
            "از خبرنامه خارجم کنید",
            // The keyword typed every way.
            "11لغو",
            "لطفا لغو۱۱",
            "laghv",
            "laghv11",
            "لغوو",
            "۱۱",
            "11",
            "Stopp",
            "STOP!!! I told you already",
            // English.
            "Please take my number off your list",
            "Delete my number",
            "Lose my number",
            "Opt me out",
            "No more spam",
            "Quit texting me",
            "Enough texts",
            "Wrong #",
            "Wrong person",
            "I never signed up for this",
            "I'm not Sarah",
            "This number is no longer Sarah's",
            "چند بار بگم لغو؟",
            "شماره اشتباه",
            "من خرید نکردم، پیام ندید",
            "دیگه پیامک تبلیغ محصولاتتون رو نفرستید",
            "Stop sending me discount codes",
            "Don't send me promotions",
            "حذف شماره از لیست ارسال",
            "لغو 11 لغو 11",
            "چند بار گفتم لغو، بازم پیامک میدید!",
            "This is the wrong number",
            "من علی نیستم",
            "این خط دیگه برای من نیست",
            "I never gave you my number",
            "ولم کنید دیگه",
            "Please cease texting me",
            "No more please",
            "پیامک تبلیغاتی ممنوع",
            "کد ۱۱ رو ارسال کردم ولی بازم پیام میاد",
            "lagv11",
            "لغوِ",
            "payam nadid",
            "shomare mano hazf konid",
            "Bitte löschen Sie meine Nummer",
            "Falsche Nummer",
            "Kein Interesse",
            "Ich möchte keine Nachrichten mehr erhalten",
            "wrong number, who is this?",
            "This is spam",
            "نمیخام پیام بدین",
            "عدم تمایل به دریافت پیامک",
            "لطفا ارسال رو متوقف کنید",
            "You have the wrong number",
            "I want to unsubscribe from your list please",
        ] {
            assert!(refuses(refusal), "{refusal}");
        }
        for message in [
            "سلام، سفارشم کی میرسه؟",
            "چرا سفارش من رو نفرستادید؟",
            "هنوز ارسال نشده",
            "سفارش رو فعلا ارسال نکنید",
            "سفارشم رو لغو کنید",
            "پیام دادم ولی جواب ندادید",
            "ممنون از پیامتون",
            "کد تخفیف کار نمیکنه",
            "Where is my order?",
            "Please stop my order, I ordered twice",
            "Thanks for the message!",
            "I never got a message about my order",
            "جشنواره تخفیف ۳۰٪ فروشگاه نگین تا جمعه. برای لغو عضویت عدد ۱۱ را ارسال کنید",
            "Black Friday: 30% off everything! Reply STOP to opt out",
            "Your order has shipped. Txt STOP to 12345 to end messages",
            // About payments, shipping and products, not messages.
            "لطفا تا شنبه ارسال نکنید",
            "ارسال نکنید تا پول رو واریز کنم",
            "به آدرس قبلی ارسال نکنید",
            "فعلا نفرستید، پول ندارم",
            "جنس رو نفرستید، پشیمون شدم",
            "لطفا بار رو نفرستید تا خبر بدم",
            "پرداخت لغو شد، دوباره لینک بفرستید",
            "پرداختم لغو شد",
            "تراکنش لغو شد ولی پول کم شد",
            "لغو شد؟",
            "خرید لغو",
            "اگه موجود نیست لغو کنید",
            "لطفا شماره پیگیری رو حذف نکنید",
            "Will the sale stop on Sunday?",
            "When will the flash sale stop?",
            "Stop by the store tomorrow?",
            "Is the bus stop near the store?",
            "Don't stop sending deals, love them!",
            "Can you stop the charge on my card?",
            "Please stop the payment",
            "Why did you stop selling the red mug?",
            "STOP sending me the wrong item!!",
            "Please don't send it to my work address",
            "Don't send the blue one",
            "Don't send the invoice by email, text it",
            "I'm not interested in the blue one, do you have red?",
            "Not interested in the extended warranty",
            "Wrong number on my order, please fix",
            "You sent the wrong number of items",
            "پیامک کد تخفیف رو دریافت نکردم",
            "When does the promo stop?",
            "فردا نفرستید، شنبه بفرستید",
            "ارسال رایگان لغو شده؟",
            "Don't stop texting me deals!",
            "Stop! I ordered the wrong size",
            "Don't send it yet, I'm away",
            "No more of the blue one in stock?",
            "Can I change the delivery address?",
        ] {
            assert!(!refuses(message), "{message}");
        }
    }
}
