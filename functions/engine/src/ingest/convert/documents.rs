//! What a ledger's document types say a row is: a sale, a return, or no sale at all.

use std::collections::HashMap;

use crate::mapping::Layout;
use crate::values::text::Key;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum DocKind {
    Sale,
    /// A credit memo, credit note or refund: goods or money went back.
    Return,
    /// A payment received, a journal entry, a transfer: no sale, and counting it one would
    /// count the invoice it pays twice.
    NotASale,
}

/// What a row's document or transaction type says it is, in a column read as one (see
/// [`DocumentTypes`]). PayPal lists every movement of the account: there only payments received
/// are sales, and refunds, reversals and chargebacks paid out returns; holds, fees, conversions,
/// transfers and money refunded to the seller are no sales. Sage codes its rows (SI, SC, ...).
pub(crate) fn document_kind(
    layout: Layout,
    raw: &str,
    balance_impact: &str,
    ledger: bool,
    statement: bool,
) -> DocKind {
    let Some(key) = Key::new(raw) else {
        // Too long for any word of the vocabulary: what the layout makes of an unknown type.
        return match layout {
            Layout::PayPal | Layout::Sage | Layout::StripeBalance => DocKind::NotASale,
            _ => DocKind::Sale,
        };
    };
    let k = key.as_str();
    let has = |w: &str| k.contains(w);
    match layout {
        Layout::Sage => match k {
            // Sales invoice, credit note; receipts, payments on account, discounts, refunds of
            // money and write-offs move money only.
            "si" => DocKind::Sale,
            "sc" => DocKind::Return,
            _ => DocKind::NotASale,
        },
        Layout::StripeBalance => match k {
            "charge" | "payment" => DocKind::Sale,
            _ if k.contains("refund") => DocKind::Return,
            // Payouts, fees, dispute adjustments, transfers and reserves move money only.
            _ => DocKind::NotASale,
        },
        Layout::PayPal => {
            let impact = Key::new(balance_impact);
            let impact = impact.as_ref().map_or("", Key::as_str);
            let money_only = [
                "hold",
                "fee",
                "authori",
                "conversion",
                "withdrawal",
                "transfer",
                "deposit",
            ]
            .iter()
            .any(|w| has(w));
            let refund = has("refund") || has("reversal") || has("chargeback");
            match impact {
                "memo" => DocKind::NotASale,
                _ if money_only => DocKind::NotASale,
                // Money back to the seller: their own purchase refunded, a dispute won.
                "credit" if refund => DocKind::NotASale,
                _ if refund => DocKind::Return,
                "debit" => DocKind::NotASale,
                _ if has("payment") => DocKind::Sale,
                _ => DocKind::NotASale,
            }
        }
        // Fees, commissions and settlements move money only, whatever else they say: a
        // commission refunded on a return («برگشت کمیسیون») is no sale either.
        _ if money_movement(raw) => DocKind::NotASale,
        // In a ledger a refund pays out a credit memo already counted, as a payment pays an
        // invoice.
        _ if ledger && k == "refund" => DocKind::NotASale,
        // In a statement of a gateway or marketplace account, a payment is a buyer's purchase,
        // and a payment refunded or reversed its return.
        _ if statement && payment_word(k) => match document_word(k) {
            Some(DocKind::Return) => DocKind::Return,
            _ => DocKind::Sale,
        },
        _ => document_word(k).unwrap_or(DocKind::Sale),
    }
}

/// What a document type says by its own words (a vocabulary key), or None when it names no kind
/// of document (a payment method such as "Credit Card", a product type). Returns: credit memos
/// and notes, refunds, reversals, chargebacks, returns ("A/R Credit Memo", "Delayed Credit",
/// "Gutschrift", "Retoure", "Storno", "Avoir", "Note de crédit", «برگشت از فروش»). No sales:
/// payments (not a "Prepayment Invoice" or "Anzahlungsrechnung"), receipts of money ("Receipt";
/// QuickBooks' "Sales Receipt" is a sale), deposits, journal entries, transfers, withdrawals,
/// reminders, quotes and estimates ("Angebot", "Devis", "Proforma", «پیش فاکتور»), «دریافت»,
/// «پرداخت», «سند حسابداری». Sales: invoices, sales receipts, orders («فاکتور فروش»).
fn document_word(k: &str) -> Option<DocKind> {
    let any = |words: &[&str]| words.iter().any(|w| k.contains(w));
    if any(&[
        "refund",
        "reversal",
        "chargeback",
        "return",
        "retour",
        "rücksend",
        "gutschrift",
        "avoir",
        "storn",
        "rembours",
        "delayedcredit",
        "برگشت",
        "مرجوع",
        "استرداد",
        "بازگشتوجه",
        "عودت",
    ]) || credit_note(k)
    {
        return Some(DocKind::Return);
    }
    let invoice = invoice_word(k);
    if (payment_word(k) && !invoice)
        || any(&[
            "journal",
            "transfer",
            "virement",
            "withdrawal",
            "deposit",
            "reminder",
            "relance",
            "mahnung",
            "estimate",
            "quot",
            "angebot",
            "devis",
            "proforma",
            "پیشفاکتور",
            "دریافت",
            "پرداخت",
            "حسابداری",
        ])
        || matches!(
            k,
            "receipt" | "cashreceipt" | "financechargememo" | "règlement" | "reglement"
        )
    {
        return Some(DocKind::NotASale);
    }
    (invoice
        || any(&[
            "salesreceipt",
            "sale",
            "order",
            "bestellung",
            "commande",
            "فاکتور",
            "فروش",
            "سفارش",
        ]))
    .then_some(DocKind::Sale)
}

/// A credit memo or note ("A/R Credit Memo", "Note de crédit"; SAP Business One's code "CN").
fn credit_note(k: &str) -> bool {
    ((k.contains("credit") || k.contains("crédit")) && (k.contains("memo") || k.contains("note")))
        || k == "cn"
}

fn invoice_word(k: &str) -> bool {
    ["invoice", "rechnung", "facture"].iter().any(|w| k.contains(w))
}

fn payment_word(k: &str) -> bool {
    ["payment", "zahlung", "paiement", "پرداخت"]
        .iter()
        .any(|w| k.contains(w))
}

/// Money moved without a sale: a fee, a commission, a payout or settlement to the seller
/// («کارمزد», «کمیسیون», «تسویه», «هزینه ارسال», "stripe_fee"). Whole words: "Coffee" or
/// "Commissioned print" in a type column are products.
fn money_movement(raw: &str) -> bool {
    has_word(
        raw,
        &["fee", "commission", "payout", "settlement"],
        &["کارمزد", "کمیسیون", "تسویه", "هزینه"],
    )
}

/// What only an account's statement lists: its fees, payouts and settlements. A commission
/// alone is as often a sale's kind (an artist's "Commission").
fn statement_marker(raw: &str) -> bool {
    has_word(raw, &["fee", "payout", "settlement"], &["کارمزد", "تسویه"])
}

/// Whether `raw` holds one of `words` (a plural too) or a word starting with one of `stems`.
fn has_word(raw: &str, words: &[&str], stems: &[&str]) -> bool {
    raw.split(|c: char| !c.is_alphanumeric()).any(|w| {
        let w = w.to_lowercase();
        let w = w.strip_suffix('s').unwrap_or(&w);
        words.contains(&w) || stems.iter().any(|p| w.starts_with(p))
    })
}

/// How a file's document-type column is read: only when it holds accounting documents — some
/// value names an invoice, a sales receipt or a credit memo or note — since shops also head a
/// payment method ("Online Payment", "Bank Transfer"), a till's "Sale"/"Refund" or a product
/// type so. A ledger (some value is a payment received) reads a bare "Refund" as money paid out.
/// A statement of a gateway's or marketplace's account lists no documents but money movements
/// (a fee, a commission, a settlement, a purchase reversed «برگشت خرید»): there a payment is a
/// purchase and a refund a return.
#[derive(Debug, Clone, Default)]
pub(super) struct DocumentTypes {
    pub(super) read: bool,
    pub(super) ledger: bool,
    statement: bool,
    /// The file's status column marks invoices cancelled ("Storniert") in its first rows, as
    /// sevDesk and lexoffice mark an invoice a cancellation invoice ("Stornorechnung") cancels:
    /// that cancellation invoice is then no return of anything counted, see
    /// [`cancellation_document`]. A status column of payments alone (paid, open) marks none, and
    /// there the cancellation invoice stays its invoice's return.
    pub(super) status_cancels: bool,
    /// Types already read, by type and balance impact: ledgers repeat a few types over many
    /// rows, and reading one takes a few dozen word scans.
    cache: HashMap<String, DocKind>,
    key: String,
}

/// Distinct (type, balance impact) pairs remembered; a file with more reads the rest afresh.
const DOCUMENT_TYPES_CACHED: usize = 1024;

impl DocumentTypes {
    /// `bare`: the column is headed only "type" (Holoo's «نوع»), which may be anything's: it is
    /// read only when a value names an invoice («فاکتور فروش»), and never as a statement.
    pub(super) fn infer<'a>(
        layout: Layout,
        values: impl Iterator<Item = &'a str>,
        bare: bool,
    ) -> DocumentTypes {
        let mut types = DocumentTypes {
            read: matches!(layout, Layout::PayPal | Layout::Sage | Layout::StripeBalance),
            ..DocumentTypes::default()
        };
        let mut movements = false;
        let mut invoices = false;
        for v in values {
            let Some(key) = Key::new(v) else { continue };
            let k = key.as_str();
            movements |= statement_marker(v) || ["برگشتخرید", "استرداد"].iter().any(|w| k.contains(w));
            // Only an accounting document says the column lists them: "Sale", "Refund" or
            // "Payment" alone are as often a point-of-sale's words, or a payment method.
            invoices |= invoice_word(k) || k.contains("فاکتور");
            let document = invoice_word(k)
                || credit_note(k)
                || ["فاکتور", "salesreceipt", "gutschrift", "avoir", "برگشتازفروش"]
                    .iter()
                    .any(|w| k.contains(w));
            match document_word(k) {
                Some(DocKind::Sale | DocKind::Return) if document => types.read = true,
                Some(DocKind::NotASale) => {
                    types.ledger |= payment_word(k) || k.contains("receipt") || k.contains("دریافت");
                }
                _ => {}
            }
        }
        if bare {
            types.read &= invoices;
            return types;
        }
        // Invoices make it a ledger, whose payments pay them.
        types.statement = movements && !types.read;
        types.read |= movements;
        types
    }

    /// What a row is by its document type, see [`document_kind`].
    pub(super) fn kind(&mut self, layout: Layout, raw: &str, balance_impact: &str) -> DocKind {
        self.key.clear();
        self.key.push_str(raw);
        self.key.push('\u{1f}');
        self.key.push_str(balance_impact);
        if let Some(&kind) = self.cache.get(self.key.as_str()) {
            return kind;
        }
        let kind = match document_kind(layout, raw, balance_impact, self.ledger, self.statement) {
            DocKind::Return if self.status_cancels && cancellation_document(raw) => DocKind::NotASale,
            kind => kind,
        };
        if self.cache.len() < DOCUMENT_TYPES_CACHED {
            self.cache.insert(self.key.clone(), kind);
        }
        kind
    }
}

/// A document that cancels an invoice whole (German invoicing's "Stornorechnung", "Storno",
/// a "Cancellation invoice", a French "Facture d'annulation"), not a credit note for goods sent
/// back. The invoice it cancels stays in the list, marked cancelled in its status, which already
/// keeps it from counting: read as a return too, it took the invoice's amount off its buyer a
/// second time (a customer at −84 € for an invoice of 84 € cancelled).
fn cancellation_document(raw: &str) -> bool {
    Key::new(raw).is_some_and(|k| {
        let k = k.as_str();
        // A partial cancellation ("Teilstornorechnung") cancels part of an invoice that stays
        // counted: that part is a return.
        ["storno", "stornier", "cancellationinvoice", "annulation"]
            .iter()
            .any(|w| k.contains(w))
            && !["teilstorn", "teilweise", "partial", "partiel"]
                .iter()
                .any(|w| k.contains(w))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn document_types() {
        let kind = |raw: &str| document_kind(Layout::Other, raw, "", false, false);
        for raw in [
            "Invoice",
            "A/R Invoice",
            "Sales Receipt",
            "Prepayment Invoice",
            "Anzahlungsrechnung",
            "فاکتور فروش",
            "Order",
        ] {
            assert_eq!(kind(raw), DocKind::Sale, "{raw}");
        }
        for raw in [
            "Credit Memo",
            "A/R Credit Memo",
            "Delayed Credit",
            "Gutschrift",
            "Retoure",
            "Stornierung",
            "Avoir",
            "Note de crédit",
            "Remboursement",
            "برگشت از فروش",
            "Refund",
            "CN",
            "Sales credit note",
        ] {
            assert_eq!(kind(raw), DocKind::Return, "{raw}");
        }
        for raw in [
            "Payment",
            "Customer Payment",
            "Receipt",
            "Deposit",
            "Journal Entry",
            "Transfer",
            "Virement",
            "Reminder",
            "Relance",
            "Quote",
            "Sales Quotation",
            "Angebot",
            "Devis",
            "Proforma Invoice",
            "پیش فاکتور",
            "Zahlung",
            "دریافت چک",
            "سند حسابداری",
        ] {
            assert_eq!(kind(raw), DocKind::NotASale, "{raw}");
        }
        // In a ledger a refund pays out a credit memo.
        assert_eq!(
            document_kind(Layout::Other, "Refund", "", true, false),
            DocKind::NotASale
        );
        // PayPal: money back to the seller, holds and fees are no sales.
        let paypal = |raw: &str, impact: &str| document_kind(Layout::PayPal, raw, impact, false, false);
        assert_eq!(paypal("Express Checkout Payment", "Credit"), DocKind::Sale);
        assert_eq!(paypal("Payment Refund", "Debit"), DocKind::Return);
        assert_eq!(paypal("Payment Refund", "Credit"), DocKind::NotASale);
        assert_eq!(
            paypal("Reversal of General Account Hold", "Credit"),
            DocKind::NotASale
        );
        assert_eq!(paypal("Chargeback Fee", "Debit"), DocKind::NotASale);
        assert_eq!(paypal("Website Payment", "Debit"), DocKind::NotASale);
        // The cache keys a type by its balance impact too.
        let mut types = DocumentTypes::infer(Layout::PayPal, std::iter::empty(), false);
        assert_eq!(
            types.kind(Layout::PayPal, "Payment Refund", "Debit"),
            DocKind::Return
        );
        assert_eq!(
            types.kind(Layout::PayPal, "Payment Refund", "Credit"),
            DocKind::NotASale
        );
        assert_eq!(
            types.kind(Layout::PayPal, "Payment Refund", "Debit"),
            DocKind::Return
        );
    }

    /// A gateway's or marketplace's statement: payments are purchases, refunds and reversals
    /// returns, fees, commissions (refunded or not) and settlements no sales. A column of payment
    /// methods is not read.
    #[test]
    fn statements_of_an_account() {
        let read = |values: &[&str]| DocumentTypes::infer(Layout::Other, values.iter().copied(), false);
        let mut zarinpal = read(&["پرداخت", "کارمزد", "تسویه", "بازگشت وجه"]);
        assert!(zarinpal.read);
        let mut kind = |raw: &str| zarinpal.kind(Layout::Other, raw, "");
        assert_eq!(kind("پرداخت"), DocKind::Sale);
        // A payment refunded or reversed is its return, not one more payment.
        assert_eq!(kind("Payment Refund"), DocKind::Return);
        assert_eq!(kind("Payment reversal"), DocKind::Return);
        assert_eq!(kind("برگشت پرداخت"), DocKind::Return);
        assert_eq!(kind("stripe_fee"), DocKind::NotASale);
        assert_eq!(kind("بازگشت وجه"), DocKind::Return);
        assert_eq!(kind("کارمزد"), DocKind::NotASale);
        assert_eq!(kind("تسویه حساب"), DocKind::NotASale);
        let mut digikala = read(&["فروش کالا", "کمیسیون", "مرجوعی", "برگشت کمیسیون"]);
        let mut kind = |raw: &str| digikala.kind(Layout::Other, raw, "");
        assert_eq!(kind("فروش کالا"), DocKind::Sale);
        assert_eq!(kind("مرجوعی"), DocKind::Return);
        assert_eq!(kind("برگشت کمیسیون"), DocKind::NotASale);
        assert_eq!(kind("هزینه پردازش و ارسال"), DocKind::NotASale);
        let mut bank = read(&["خرید", "برگشت خرید", "استرداد وجه"]);
        let mut kind = |raw: &str| bank.kind(Layout::Other, raw, "");
        assert_eq!(kind("خرید"), DocKind::Sale);
        assert_eq!(kind("برگشت خرید"), DocKind::Return);
        assert_eq!(kind("استرداد وجه"), DocKind::Return);
        // Payment methods, or a café's product types: nothing says the column lists movements
        // of an account.
        assert!(!read(&["پرداخت آنلاین", "کارت به کارت", "Bank Transfer"]).read);
        assert!(!read(&["Coffee", "Iced Coffee", "Toffee", "Commissioned print"]).read);
        // An artist's sales: a commission is a kind of sale, not a statement's charge.
        assert!(!read(&["Sale", "Commission", "Refund"]).read);
        // A column headed only «نوع» is read for invoices alone.
        let bare = |values: &[&str]| DocumentTypes::infer(Layout::Other, values.iter().copied(), true);
        assert!(bare(&["فاکتور فروش", "برگشت از فروش", "پیش فاکتور"]).read);
        assert!(!bare(&["عادی", "دریافت", "برگشت از فروش", "پرداخت آنلاین"]).read);
        assert!(!bare(&["پرداخت", "کارمزد"]).read);
        // A statement reads its payments as sales; outside one, in a ledger of invoices, a
        // payment pays an invoice.
        let mut outside = read(&["فاکتور فروش", "برگشت از فروش"]);
        assert_eq!(outside.kind(Layout::Other, "پرداخت", ""), DocKind::NotASale);
        assert_eq!(
            read(&["پرداخت", "کارمزد"]).kind(Layout::Other, "پرداخت", ""),
            DocKind::Sale
        );
        // Invoices beside payments: a ledger, whose payments pay the invoices.
        let mut ledger = read(&["فاکتور فروش", "دریافت", "کارمزد"]);
        assert_eq!(ledger.kind(Layout::Other, "پرداخت", ""), DocKind::NotASale);
    }
}
