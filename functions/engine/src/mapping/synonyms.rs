//! Header synonym tables. Every entry is compared after `normalize_header`, so spelling variants that
//! only differ in case, spacing, punctuation, umlaut transcription or Arabic/Persian letter forms need
//! one entry, not several (the tests reject entries that normalise to the same key).
//!
//! Within one field the order of the entries is their specificity: when two columns of a file match
//! the same field, the one matching the earlier entry feeds it. Generic words ("Date", "Price",
//! "تاریخ") therefore come last in their field.

use crate::schema::{Dataset, Field};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Kind {
    Plain,
    /// A column that *names* the customer ("Customer", "Kunde", "مشتری") rather than identifying them.
    /// Names collide (two "Ali Rezaei"s) so such a column is the customer id only when there is neither
    /// a real id nor an email column.
    NameLike,
    /// An order-level total ("Total", "Gesamtbetrag", "جمع کل"). Shopify and WooCommerce repeat it, or
    /// leave it blank, on every line of a multi-line order, so summing it per line over- or under-counts.
    /// It becomes the line amount only when the file has no line-level amount and no quantity × unit
    /// price to compute one from, i.e. when the file has one row per order anyway.
    OrderTotal,
    /// A message's text (an SMS panel's inbox: «متن پیام»): the event column only of an activity
    /// export without one, and then read only for refusals («لغو11»), since a customer's
    /// question that mentions an order is no purchase.
    Message,
    /// A returns list's own date, amount or quantity ("Return Date", "Refund Amount", «تاریخ
    /// برگشت»). Beside an order date it is an order's refund column, which the order's status
    /// already tells; a file whose only date is a return date is a returns list (see
    /// [`super::ColumnMapping::returns_by_header`]).
    ReturnOnly,
    /// A consent column in the opposite sense ("Email Opt Out", "Do Not Email", «لغو عضویت»): a
    /// yes there is a refusal (see [`crate::values::parse_opt_out`]).
    OptOut,
}

pub(super) struct Group {
    pub field: Field,
    /// Restricts the group to one dataset when a word means different things in different exports.
    pub only: Option<Dataset>,
    pub kind: Kind,
    pub words: &'static [&'static str],
}

const fn g(field: Field, words: &'static [&'static str]) -> Group {
    Group {
        field,
        only: None,
        kind: Kind::Plain,
        words,
    }
}

const fn only(dataset: Dataset, field: Field, words: &'static [&'static str]) -> Group {
    Group {
        field,
        only: Some(dataset),
        kind: Kind::Plain,
        words,
    }
}

const fn name_like(field: Field, words: &'static [&'static str]) -> Group {
    Group {
        field,
        only: None,
        kind: Kind::NameLike,
        words,
    }
}

const fn message(words: &'static [&'static str]) -> Group {
    Group {
        field: Field::EventType,
        only: Some(Dataset::Activity),
        kind: Kind::Message,
        words,
    }
}

const fn return_only(field: Field, words: &'static [&'static str]) -> Group {
    Group {
        field,
        only: Some(Dataset::Sales),
        kind: Kind::ReturnOnly,
        words,
    }
}

const fn opt_out(words: &'static [&'static str]) -> Group {
    Group {
        field: Field::MarketingConsent,
        only: None,
        kind: Kind::OptOut,
        words,
    }
}

const fn order_total(words: &'static [&'static str]) -> Group {
    Group {
        field: Field::LineAmount,
        only: Some(Dataset::Sales),
        kind: Kind::OrderTotal,
        words,
    }
}

use Field::*;

#[rustfmt::skip] // One line per synonym would make the table several screens long.
pub(super) const GROUPS: &[Group] = &[
    // ---------------------------------------------------------------------------------------------
    // Sales
    g(
        OrderId,
        &[
            "Order ID", "Order Number", "Order No", "Order Nr", "Order Reference", "Order Ref", "Order Name",
            "amazon-order-id",
            "Sales Order", "Sales Order Number", "Invoice No", "Invoice Number", "Invoice ID", "Invoice",
            "Receipt Number", "Receipt No", "Receipt ID", "Transaction ID", "Transaction Number",
            "Document Number", "Bestellnummer", "Bestell-Nr.", "Bestell-ID", "Auftragsnummer", "Auftrags-Nr.",
            "Rechnungsnummer", "Rechnungsnr.", "Belegnummer", "Beleg-Nr.", "Vorgangsnummer", "Bonnummer",
            "Bon-Nr.", "شماره سفارش", "کد سفارش", "شناسه سفارش", "شماره فاکتور", "کد فاکتور", "شناسه فاکتور",
            "شماره صورتحساب", "شماره رسید", "شماره سند",
            "N° de commande", "Numéro de commande", "Référence de commande", "Référence commande",
            "N° de facture", "Numéro de facture", "Document No", "Doc No", "DocNum",
            "Order", "Bestellung", "Auftrag", "Rechnung", "Beleg", "سفارش", "فاکتور", "Commande", "Facture",
        ],
    ),
    // WooCommerce's REST API names an order by its `number`: as a bare word, the last resort of
    // an order id.
    only(Dataset::Sales, OrderId, &["Number"]),
    g(
        CustomerId,
        &[
            "Customer ID", "Customer Number", "Customer No", "Customer Code", "Customer Ref",
            "Customer Reference", "Customer User ID", "Customer Account", "Customer Account Number",
            "Client ID", "Client Number", "Client Code", "Buyer ID", "Buyer User ID", "User ID", "Member ID", "Account ID",
            "Account Number", "Contact ID", "Lead ID", "Visitor ID", "Subscriber ID", "Person ID",
            "Profile ID", "Distinct ID", "Associated Contact ID", "Kundennummer", "Kunden-Nr.", "Kunden-ID",
            "Kd.-Nr.", "Kundenkonto", "Debitorennummer", "Debitor-Nr.", "Debitor", "کد مشتری", "شناسه مشتری",
            "شماره مشتری", "کد اشتراک", "شماره اشتراک", "کد طرف حساب", "شناسه کاربر", "کد کاربر",
            "شناسه کاربری مشتری",
            "شناسه مخاطب", "کد مخاطب", "Code client", "N° client", "Numéro client", "ID client",
            "Référence client", "Sell-to Customer No", "Bill-to Customer No", "CardCode",
        ],
    ),
    // HubSpot's contact exports and contact activity name the contact's id "Record ID"; in its
    // deal exports (sales) that is the deal's.
    only(Dataset::Customers, CustomerId, &["Record ID"]),
    only(Dataset::Activity, CustomerId, &["Record ID"]),
    // In a customer list a bare "ID" can only be the customer's; in orders or events it may be the
    // order's, the line's or the event's.
    only(Dataset::Customers, CustomerId, &["ID", "شناسه"]),
    name_like(
        CustomerId,
        &[
            "Customer", "Customer Name", "Client", "Client Name", "Buyer", "Buyer Name", "Billing Name",
            "Kunde", "Kundenname", "Käufer", "مشتری", "نام مشتری", "خریدار", "نام خریدار", "طرف حساب",
            "نام طرف حساب", "Nom du client", "Nom client",
            // Hesabfa's invoice lists name the customer «مخاطب» (contact).
            "مخاطب", "نام مخاطب",
        ],
    ),
    g(
        Email,
        &[
            "Email", "Email Address", "Customer Email", "Billing Email", "Contact Email", "Subscriber Email",
            "User Email", "Buyer Email", "Buyer's Email", "Email ID", "E-Mail-Adresse", "Kunden-E-Mail", "Mailadresse", "Mail",
            "Courriel", "Adresse e-mail", "E-mail client",
            "ایمیل", "آدرس ایمیل", "ایمیل مشتری", "ایمیل صورتحساب", "پست الکترونیک", "پست الکترونیکی", "رایانامه",
            // Contact Form 7's default field, as its exports (CFDB7, Flamingo) head it.
            "your-email",
        ],
    ),
    // An email tool's event log names the address the message went to (HubSpot's email events:
    // `Recipient,Event type,Created,…`); in an order export a recipient is the parcel's.
    only(Dataset::Activity, Email, &["Recipient", "Recipient Email", "Recipient Address"]),
    // The buyer's mobile or phone: Iranian shops (Basalam, Persian WooCommerce, Instagram order
    // sheets) often know buyers by nothing else. The billing phone is the buyer's; a shipping
    // phone ("Shipping Phone", «تلفن گیرنده») may be a gift's recipient and is left unmapped.
    g(
        Phone,
        &[
            "Billing Phone", "Customer Phone", "Customer Mobile", "Buyer Phone", "Contact Phone",
            "تلفن صورتحساب", "موبایل صورتحساب", "موبایل مشتری", "تلفن مشتری", "شماره موبایل مشتری",
            "موبایل خریدار", "شماره موبایل خریدار", "تلفن خریدار", "شماره تماس خریدار",
            "شماره تماس مشتری", "Mobile Number", "Mobile Phone", "Phone Number",
            "Cell Phone", "شماره موبایل", "شماره همراه", "تلفن همراه", "شماره تلفن همراه", "شماره تماس",
            "شماره تلفن", "Handynummer", "Mobilnummer", "Telefonnummer", "Numéro de téléphone",
            "Téléphone mobile", "Mobile", "Phone", "Telefon", "Handy", "Téléphone", "Portable", "موبایل",
            "همراه", "تلفن",
        ],
    ),
    g(
        OrderDate,
        &[
            "Order Date", "Invoice Date", "Created at", "Order Created", "Order Created At", "Date Created",
            "Created Date", "Order Datetime", "Order Timestamp", "Purchase Date", "Date of Purchase",
            "Transaction Date", "Sale Date", "Sales Date", "Receipt Date", "Document Date", "Bestelldatum",
            "Auftragsdatum", "Rechnungsdatum", "Belegdatum", "Kaufdatum", "Verkaufsdatum", "Buchungsdatum",
            "Erstellt am", "تاریخ سفارش", "تاریخ فاکتور", "تاریخ خرید", "تاریخ فروش", "تاریخ ثبت سفارش",
            "تاریخ صورتحساب", "تاریخ سند", "تاریخ ثبت", "تاریخ ایجاد", "تاریخ تراکنش", "Date de commande", "Date commande",
            "Date de facture", "Date facture", "Date d'achat", "Date de vente", "Posting Date", "DocDate",
            // Generic: only when nothing more specific is there.
            "Date", "Datetime", "Timestamp", "Created", "Datum", "Zeitstempel", "تاریخ", "تاریخ شمسی",
            "تاریخ میلادی", "تاریخ و ساعت",
            // Last resort: a payment date is close to the order date; fulfilment and cancellation dates
            // are not, and are deliberately absent.
            "Paid at", "Payment Date", "Zahlungsdatum", "تاریخ پرداخت",
        ],
    ),
    g(
        OrderTime,
        &[
            "Order Time", "Invoice Time", "Purchase Time", "Time", "Bestellzeit", "Uhrzeit", "Zeit",
            "ساعت سفارش", "زمان سفارش", "ساعت فاکتور", "ساعت تراکنش", "زمان تراکنش", "ساعت", "زمان", "Heure de commande", "Heure",
        ],
    ),
    only(
        Dataset::Sales,
        TimeZone,
        &["Time Zone", "Order Time Zone", "TZ", "Zeitzone", "منطقه زمانی"],
    ),
    g(
        ProductId,
        &[
            "Product ID", "Product Code", "Product SKU", "Lineitem sku", "SKU", "Item SKU", "Variant SKU",
            "StockCode", "Item Code", "Item ID", "Item Number", "Item No", "Article Number", "Article No",
            "Article ID", "Part Number", "Material Number", "Product Number", "Variant ID", "EAN", "GTIN",
            "UPC", "Barcode", "Artikelnummer", "Artikel-Nr.", "Artikel-ID", "Art.-Nr.", "Produktnummer",
            "Produkt-ID", "Materialnummer", "کد کالا", "کد محصول", "شناسه محصول", "شناسه کالا", "شماره کالا",
            "کد فنی", "بارکد", "کد تنوع", "Référence produit", "Réf. produit", "Code article", "Code produit",
        ],
    ),
    g(
        ProductName,
        &[
            "Product Name", "Item Name", "Item's Name", "Lineitem name", "Product Title", "Item Title",
            "Product Description", "Item Description", "Description", "Product", "Products", "Item",
            "Article", "Artikelbezeichnung", "Artikelname", "Produktname", "Produktbezeichnung",
            "Artikelbeschreibung", "Bezeichnung", "Artikel", "Produkt", "Beschreibung", "نام کالا",
            "نام محصول", "شرح کالا", "عنوان کالا", "عنوان محصول", "نام کالا/خدمات", "شرح کالا/خدمات",
            "شرح کالا یا خدمات", "عنوان تنوع", "کالا/خدمات", "شرح", "کالا", "محصول", "Nom du produit", "Désignation", "Libellé", "Produit",
        ],
    ),
    g(
        Category,
        &[
            "Category", "Product Category", "Item Category", "Product Type", "Product Group", "Department",
            "Produktkategorie", "Kategorie", "Warengruppe", "Artikelgruppe", "Produktgruppe",
            "دسته بندی محصول", "دسته بندی کالا", "دسته بندی", "گروه کالا", "گروه محصول", "دسته", "گروه",
            "Catégorie",
        ],
    ),
    g(
        Quantity,
        &[
            "Quantity", "Qty", "Lineitem quantity", "Item Quantity", "Quantity Ordered", "Ordered Quantity",
            "Order Quantity", "Units Sold", "Items Sold", "Number of Items", "Units", "Pieces", "Pcs",
            "Menge", "Anzahl", "Stück", "Stückzahl", "Stk", "Bestellmenge", "Verkaufsmenge", "تعداد", "مقدار",
            "تعداد کالا", "تعداد سفارش", "تعداد فروش", "تعداد خرید", "Quantité", "Qté",
            // WooCommerce Analytics' "Items sold" in its Persian labels.
            "آیتم‌های فروخته شده", "تعداد فروخته شده", "اقلام فروخته شده",
        ],
    ),
    g(
        UnitPrice,
        &[
            "Unit Price", "Price per Unit", "Price Each", "Item Price", "Lineitem price", "Item Cost",
            // Shopify's GraphQL line item: the price before discounts, as its CSV's "Lineitem price".
            "Original Unit Price",
            "Sale Price", "Selling Price", "Sales Price", "Einzelpreis", "Stückpreis", "Preis pro Stück",
            "Einzelpreis brutto", "Einzelpreis netto", "VK Brutto", "Prix TTC", "E-Preis", "Verkaufspreis", "VK-Preis", "قیمت واحد",
            "قیمت هر واحد", "فی", "مبلغ واحد", "فی واحد", "بهای واحد",
            // Persian WooCommerce's "Item Price" and "Item Cost", in the English order.
            "قیمت مورد", "هزینه مورد", "قیمت کالا", "قیمت محصول", "قیمت فروش", "Prix unitaire",
            "Prix unitaire TTC", "Prix unitaire HT", "Prix de vente",
            // Generic
            "Price", "Preis", "قیمت", "Rate", "Prix",
        ],
    ),
    // Line-level amounts only: see `Kind::OrderTotal` for "Total", "Subtotal" and friends.
    g(
        LineAmount,
        &[
            "Line Total", "Line Amount", "Lineitem total", "Item Total", "Line Subtotal", "Line Revenue",
            "Item Revenue", "Extended Price", "Ext Price", "Total Price", "Amount", "Sales Amount",
            "Sale Amount", "Net Sales", "Gross Sales", "Sales", "Revenue", "Net Revenue", "Gross Revenue",
            "Net Amount", "Gross Amount",
            // German and French amounts with VAT (brutto, TTC) before those without (netto, HT):
            // what the customer paid, as English exports' amounts are.
            "Bruttobetrag", "Betrag brutto", "Gesamt brutto", "Summe brutto",
            "Gesamtbetrag brutto", "Umsatz brutto", "Bruttoumsatz", "Brutto", "Montant TTC", "Total ligne TTC",
            "Gesamtpreis", "Positionsbetrag", "Positionssumme", "Zeilenbetrag",
            "Betrag", "Umsatz", "Umsatz netto", "Nettoumsatz", "Nettobetrag",
            // Iranian invoices («صورتحساب استاندارد») give «مبلغ کل» before the discount, and
            // after it «مبلغ کل پس از تخفیف» or «مبلغ خالص»: those first.
            "مبلغ کل پس از تخفیف", "مبلغ پس از تخفیف", "مبلغ خالص",
            // Sepidar's line net beside «مبلغ», «تخفیف», «اضافات»; WooCommerce Analytics' "Net
            // Sales" in its Persian labels.
            "خالص", "فروش خالص", "مبلغ کل", "قیمت کل",
            "مبلغ", "مبلغ فروش", "مبلغ نهایی", "فروش", "فروش ناخالص", "قیمت نهایی",
            "درآمد", "Montant", "Montant HT", "Total ligne", "Chiffre d'affaires",
            "Total (LC)", "Transaction Amount", "مبلغ تراکنش",
        ],
    ),
    return_only(
        OrderDate,
        &[
            "Return Date", "Returned Date", "Returned On", "Returned At", "Return Created At",
            "Return Requested At", "Refund Date", "Refunded At", "Refunded On", "Date Refunded",
            "Credit Note Date", "Rücksendedatum", "Retourendatum", "Erstattungsdatum",
            "تاریخ برگشت", "تاریخ مرجوعی", "تاریخ برگشت از فروش", "Date de retour",
            "Date de remboursement",
        ],
    ),
    return_only(
        LineAmount,
        &[
            "Refund Amount", "Refunded Amount", "Amount Refunded", "Refund Total", "Return Amount",
            "Returned Amount", "Return Value", "Credit Amount", "Credit Note Amount", "Erstattungsbetrag",
            "Rückerstattungsbetrag", "مبلغ برگشتی", "مبلغ مرجوعی", "مبلغ برگشت از فروش",
            "Montant remboursé",
        ],
    ),
    return_only(
        Quantity,
        &[
            "Return Quantity", "Returned Quantity", "Quantity Returned", "Qty Returned", "Returned Qty",
            "Return Qty", "Refunded Quantity", "Rücksendemenge", "Retourenmenge", "تعداد برگشتی",
            "تعداد مرجوعی", "Quantité retournée",
        ],
    ),
    order_total(&[
        "Order Total", "Order Total Amount", "Total", "Grand Total", "Total Amount", "Invoice Total",
        "Invoice Amount", "Order Amount", "Order Value", "Total Paid", "Amount Paid", "Subtotal",
        "Order Subtotal", "Order Subtotal Amount", "Gesamtbetrag", "Gesamtsumme", "Rechnungsbetrag",
        "Endbetrag", "Bestellwert", "Summe", "Gesamt", "Zwischensumme", "Total payé",
        // Persian WooCommerce's "Order Total" and "Order Total Amount" first, as in English.
        "مجموع سفارش", "مبلغ کل سفارش", "جمع کل", "جمع فاکتور", "مبلغ فاکتور", "مبلغ سفارش",
        "مبلغ قابل پرداخت", "جمع کل سفارش", "جمع سفارش", "مجموع", "مبلغ پرداختی", "مبلغ پرداخت شده",
        "جمع", "Total TTC", "Total HT", "Montant total", "Total commande",
    ]),
    g(
        Currency,
        &[
            "Currency", "Currency Code", "Order Currency", "Curr", "Währung", "Währungscode", "واحد پول",
            "واحد پول سفارش",
            "ارز", "نوع ارز", "واحد ارز", "Devise", "Monnaie",
        ],
    ),
    // Billing before shipping: the billing address is the customer's, the shipping one may be a gift.
    g(
        Country,
        &[
            "Country", "Customer Country", "Billing Country", "Country Name", "Country Code",
            "Billing Country Code", "Billing Address Country", "Billing Address Country Code", "Default Address Country", "Default Address Country Code",
            "Shipping Country", "Shipping Country Code", "Land", "Rechnungsland", "Ländercode",
            "Länderkennzeichen", "Lieferland", "کشور", "کشور مشتری", "کشور صورتحساب", "Pays",
            // HubSpot's contacts, Salesforce's contacts.
            "Country/Region", "Mailing Country", "Mailing Country Code",
        ],
    ),
    // Mailchimp's audience export names the country code "CC"; elsewhere it is a carbon copy.
    only(Dataset::Customers, Country, &["CC"]),
    g(
        City,
        &[
            "City", "Customer City", "Billing City", "Billing Address City", "Town", "Default Address City", "Shipping City", "Stadt",
            "Ort", "Wohnort", "Rechnungsort", "Lieferort", "شهر", "شهر مشتری", "شهر صورتحساب", "شهر مقصد", "شهر گیرنده", "شهر تحویل", "Ville",
            "Mailing City",
        ],
    ),
    g(
        Channel,
        &[
            "Channel", "Sales Channel", "Order Channel", "Order Source", "Source Name", "Source", "Platform",
            "Marketplace", "Vertriebskanal", "Verkaufskanal", "Absatzkanal", "Kanal", "Marktplatz",
            "Plattform", "کانال فروش", "کانال", "روش فروش", "منبع سفارش", "Canal de vente", "Canal",
        ],
    ),
    // Financial status before fulfilment status: refunds and voids are what change the revenue.
    g(
        Status,
        &[
            "Order Status", "Status", "Financial Status", "Payment Status", "Fulfillment Status",
            // Zoho Books, Xero, Odoo's invoices: void and draft invoices are no sales.
            "Invoice Status",
            "Bestellstatus", "Auftragsstatus", "Zahlungsstatus", "وضعیت سفارش", "وضعیت", "وضعیت پرداخت",
            "وضعیت فاکتور", "وضعیت مرجوعی", "Statut de la commande", "Statut", "État de la commande",
            "État",
        ],
    ),
    // Ledgers and account histories mix invoices with credit memos and payments. A bare "Type"
    // is too often the product's.
    only(
        Dataset::Sales,
        DocumentType,
        &[
            "Document Type", "Doc Type", "Transaction Type", "Voucher Type", "Belegart",
            "Belegtyp", "Dokumentart", "Dokumenttyp", "Rechnungstyp", "Rechnungsart", "Invoice Type",
            "Type de document", "Type de pièce", "Type de facture", "نوع سند", "نوع فاکتور",
            "نوع تراکنش",
            // Holoo's invoice list: read only when its values name invoices, as any of these.
            "نوع",
        ],
    ),
    // ---------------------------------------------------------------------------------------------
    // Customers
    g(
        BirthDate,
        &[
            "Date of Birth", "Birth Date", "DOB", "Birthday", "Born", "Geburtsdatum", "Geburtstag",
            "Geb.-Datum", "تاریخ تولد",
        ],
    ),
    g(Age, &["Age", "Customer Age", "Alter", "سن"]),
    // A salutation (Mr/Mrs, Herr/Frau) is how most German shop exports carry the gender.
    g(
        Gender,
        &["Gender", "Sex", "Geschlecht", "Salutation", "Anrede", "جنسیت"],
    ),
    g(
        JobTitle,
        &[
            "Job Title", "Occupation", "Profession", "Job Role", "Job Function", "Position", "Role", "Job",
            "Berufsbezeichnung", "Beruf", "Tätigkeit", "Funktion", "عنوان شغلی", "سمت شغلی", "سمت سازمانی", "پست سازمانی", "عنوان سمت", "شغل", "سمت", "حرفه",
            // Form plugins' field names (Contact Form 7's `your-…` convention).
            "your-job-title", "your-title", "your-position", "your-role",
        ],
    ),
    // "Title" is a job title in CRM customer lists; in activity exports it is usually the page title.
    only(Dataset::Customers, JobTitle, &["Title"]),
    g(
        SignupDate,
        &[
            "Signup Date", "Registration Date", "Registered At", "Registered On", "Registered",
            "Customer Since", "Member Since", "Join Date", "Date Joined", "Joined At", "Joined",
            "Account Created", "Create Date", "Created At", "Date Created", "Date Added", "Created", "Anmeldedatum",
            "Registriert am", "Registrierungsdatum", "Kunde seit", "Angelegt am", "Erstellt am",
            "Erstelldatum", "تاریخ عضویت", "تاریخ ثبت نام", "تاریخ ثبت", "تاریخ ایجاد",
            // Salesforce's contacts. (Not Mailchimp's OPTIN_TIME: its unsubscribed members'
            // export has it too, and would be taken for a customers list.)
            "Created Date",
        ],
    ),
    // Read as consent only where a cell is a plain answer (see `LENIENT_CONSENT_HEADERS`).
    g(MarketingConsent, LENIENT_CONSENT_HEADERS),
    g(
        MarketingConsent,
        &[
            "Accepts Email Marketing", "Accepts Marketing", "Buyer Accepts Marketing", "Customer Accepts Marketing",
            "Customer Email Marketing Consent State", "Email Marketing Consent State", "Marketing Consent",
            "Email Marketing Consent",
            "Email Marketing", "Email Subscription Status", "Email Marketing Status",
            "Marketing Opt-in", "Email Opt-in", "Opt-in", "Newsletter", "Newsletter Subscribed",
            "Newsletter Subscription", "Email Subscribed", "Subscribed", "Subscriber", "Subscription Status",
            "GDPR Consent", "Consent", "Accepts SMS Marketing", "SMS Consent", "SMS Marketing Consent", "SMS Opt-in",
            "SMS Marketing", "SMS Subscribed", "Text Opt-in", "Marketing-Einwilligung", "Werbeeinwilligung",
            "Newsletter-Einwilligung", "Einwilligung Newsletter",
            "Consentement marketing", "Consentement newsletter", "Opt-in newsletter", "Accepte le marketing",
            "Accepte les emails marketing", "Abonné newsletter", "Abonné à la newsletter", "Newsletter abonné",
            "Einwilligung", "Newsletter-Anmeldung", "Newsletter abonniert", "Newsletter-Abo", "رضایت تبلیغات",
            "رضایت دریافت تبلیغات", "رضایت بازاریابی", "رضایت به بازاریابی", "اجازه بازاریابی",
            "اجازه ارسال تبلیغات", "رضایت دریافت پیامک", "دریافت پیامک", "پیامک تبلیغاتی", "دریافت خبرنامه", "عضویت خبرنامه", "عضویت در خبرنامه", "خبرنامه",
        ],
    ),
    // Consent written as its refusal: every one of these is read beside any consent column, and
    // a yes in it refuses (Salesforce's "Email Opt Out", HubSpot's "Unsubscribed from all email").
    opt_out(&[
        "Email Opt Out", "HasOptedOutOfEmail", "Email Opted Out", "Opted Out of Email",
        "Unsubscribed from all email", "Opted out of all email",
        // Intercom's users and leads: unsubscribed, and a spam report, the strongest refusal.
        "Unsubscribed from Emails", "Unsubscribed from email", "Marked Email as Spam",
        // Brevo (Sendinblue): a blocklisted contact unsubscribed or was blocked from sending.
        "Email Blacklisted", "SMS Blacklisted", "Blacklisted",
        "Email Blocklisted", "SMS Blocklisted", "Blocklisted", "SMS Opt Out", "Text Opt Out",
        "Marketing Opt-Out", "Opt-Out", "Opted Out", "Unsubscribed", "Email Unsubscribed",
        "Newsletter Unsubscribed", "Do Not Email", "Do Not Contact",
        "Do Not Call", "Do Not Text", "Do Not Market", "Do Not Mail", "DNC", "Abgemeldet",
        "Newsletter abgemeldet", "Werbewiderspruch", "Werbesperre", "Désabonné", "Désinscrit",
        "Ne pas contacter",
        // German and French refusals of advertising, and the Robinson list (people who want none).
        "Keine Werbung", "Widerspruch Werbung", "Kein Newsletter", "Newsletter-Abmeldung", "Werbeverbot",
        "Robinsonliste", "Sperrvermerk Werbung", "Werbesperre Email", "Refus publicité", "Opposition prospection",
        "Opposition à la prospection", "لغو عضویت", "لغو اشتراک", "عدم دریافت پیامک", "عدم تمایل به دریافت پیامک",
        "عدم دریافت تبلیغات", "عدم تمایل به دریافت تبلیغات", "انصراف از خبرنامه",
    ]),
    // A bare "Unsubscribe": a flag in some lists, a link to the unsubscribe page in others; only
    // a plain answer counts (see `LENIENT_CONSENT_HEADERS`).
    opt_out(LENIENT_OPT_OUT_HEADERS),
    // When the person unsubscribed (Mailchimp's unsubscribed members, `UNSUB_TIME`; a list's
    // "Opt-out date"): in a customer list, a time there is a refusal (see
    // `crate::ingest::convert::ConsentCols`). Activity reads it as the unsubscribe's time.
    opt_out(UNSUBSCRIBE_TIMES),
    // ---------------------------------------------------------------------------------------------
    // Activity
    g(
        EventType,
        &[
            "Event Type", "Event Name", "Event", "Activity Type", "Activity", "Action", "Action Type",
            // Klaviyo calls its event types metrics.
            "Metric Name", "Metric",
            "Interaction Type", "Interaction", "Engagement Type", "Event Category",
            // Salesforce campaign members: what the member did ("Opened", "Responded").
            "Member Status", "Type", "Ereignistyp",
            "Ereignis", "Aktivitätstyp", "Aktivität", "Aktion", "نوع رویداد", "رویداد", "نوع فعالیت",
            "فعالیت", "عملیات", "اقدام",
        ],
    ),
    message(&[
        "متن پیام", "پیام", "متن", "پیام دریافتی", "متن پیامک", "Message", "Message Text", "SMS Text", "Nachricht",
        // Twilio's message logs.
        "Body", "Message Body",
    ]),
    // An SMS panel's inbox names the customer's number as the sender (and Twilio's log `From`,
    // read only beside a message column: `map_headers`).
    only(Dataset::Activity, Phone, &["شماره فرستنده", "فرستنده", "ارسال کننده", "شماره ارسال کننده", "از شماره", "Sender", "Sender Number"]),
    // When a message log's message came: received (an inbox), sent (by the contact, Twilio).
    only(
        Dataset::Activity,
        EventTime,
        &[
            "تاریخ دریافت", "زمان دریافت", "تاریخ و زمان دریافت", "تاریخ ارسال", "زمان ارسال", "Received",
            "Received At", "Date Received",
            "Sent Date", "Date Sent",
        ],
    ),
    g(
        EventTime,
        &[
            "Event Time", "Event Timestamp", "Event Date", "Activity Date", "Activity Time", "Occurred At",
            "Timestamp", "Visit Time", "Visit Date",
            // Mautic's contact timeline.
            "Date Added", "زمان رویداد", "تاریخ رویداد", "زمان فعالیت",
        ],
    ),
    // Times that say what happened: in an export without an event-type column, every row is that
    // event (see `mapping::implied_event`). Before the generic words, so that a form's own "Date"
    // field does not take the place of its entry date.
    g(EventTime, UNSUBSCRIBE_TIMES),
    g(EventTime, SUBMISSION_TIMES),
    g(
        EventTime,
        &[
            // Salesforce's `Created Date` (`CreatedDate` in its API exports): when the member joined
            // the campaign; its `First Responded Date` only after it, as Salesforce fills that for
            // responders only (read first, every other member's row had no date). Meta's lead-ads
            // downloads: `created_time`.
            "Datetime", "Created At", "Created", "Created Date", "Created Time", "First Responded Date", "Date",
            "Time", "Zeitstempel", "Zeitpunkt", "Datum", "تاریخ و ساعت", "زمان", "تاریخ",
        ],
    ),
    g(
        Page,
        &[
            "Page URL", "Page", "URL", "Page Path", "Path", "Page Location", "Page Path and Screen Class",
            "Landing Page", "Conversion Page", "Page Title", "Source URL", "URI", "Link", "Seiten-URL", "Seitenpfad", "Seite", "آدرس صفحه",
            "نشانی صفحه", "صفحه", "لینک", "مسیر", "آدرس",
        ],
    ),
    g(
        DurationSeconds,
        &[
            "Duration Seconds", "Duration", "Time on Page", "Avg Time on Page", "Average Time on Page",
            "Time Spent", "Session Duration", "Engagement Time", "Average Engagement Time", "Dwell Time",
            "Seconds", "Dauer", "Verweildauer", "Sitzungsdauer", "مدت زمان", "مدت", "مدت بازدید", "مدت حضور",
            "زمان ماندگاری",
        ],
    ),
];

/// Activity: times of an unsubscribe (Mailchimp's "unsubscribed members" export has `UNSUB_TIME`).
#[rustfmt::skip]
pub(super) const UNSUBSCRIBE_TIMES: &[&str] = &[
    "UNSUB_TIME", "Unsubscribed At", "Unsubscribed On", "Unsubscribed Date", "Unsubscribe Date",
    "Unsubscribe Time", "Opt-out Date", "Opt-out Time", "Opted Out At", "Opted Out Date", "Abmeldedatum",
    "تاریخ لغو عضویت", "زمان لغو عضویت", "تاریخ لغو اشتراک", "تاریخ انصراف",
    // German and French: when the person unsubscribed.
    "Abgemeldet am", "Abmeldung am", "Désabonné le", "Date de désabonnement", "Date de désinscription",
];

/// Activity: times a form entry was submitted (Gravity Forms' "Entry Date", WPForms, CF7 exports,
/// HubSpot's "Conversion Date").
#[rustfmt::skip]
pub(super) const SUBMISSION_TIMES: &[&str] = &[
    "Entry Date", "Submitted At", "Submitted On", "Submission Date", "Submission Time", "Date Submitted",
    "Form Date", "تاریخ ارسال فرم", "زمان ارسال فرم",
    // HubSpot's form-submissions export: `Conversion Date,Conversion Page,Form,Email,…`.
    "Conversion Date",
];

/// Activity: columns only a form-entry export has (Contact Form 7's default fields, Gravity Forms'
/// and WPForms' entry ids). Without an event-type column, each row of such a file is a form
/// submission.
#[rustfmt::skip]
pub(super) const FORM_ENTRY_MARKERS: &[&str] = &[
    "your-email", "your-name", "your-subject", "your-message", "Entry Id", "Submission ID", "Form Name",
    "Form Title",
];

/// Currency words and codes as they appear in headers ("Amount USD", "مبلغ (تومان)"), normalised.
pub(super) const CURRENCY_WORDS: &[(&str, &str)] = &[
    ("eur", "EUR"),
    ("euro", "EUR"),
    ("euros", "EUR"),
    ("یورو", "EUR"),
    ("usd", "USD"),
    ("dollar", "USD"),
    ("dollars", "USD"),
    ("دلار", "USD"),
    ("gbp", "GBP"),
    ("chf", "CHF"),
    ("irr", "IRR"),
    ("rial", "IRR"),
    ("rials", "IRR"),
    ("ریال", "IRR"),
    // The adjective: "مبلغ ریالی" is an amount in Rial.
    ("ریالی", "IRR"),
    // Persian WooCommerce's thousand-Rial code; SCALE_WORDS gives its × 1000.
    ("irhr", "IRR"),
    ("irt", "IRT"),
    ("toman", "IRT"),
    ("tomans", "IRT"),
    ("تومان", "IRT"),
    ("تومن", "IRT"),
    ("تومانی", "IRT"),
    // The abbreviation shops write after prices ("125,000 ت", "قیمت (ت)").
    ("ت", "IRT"),
    // Persian WooCommerce's thousand-Toman code; SCALE_WORDS gives its × 1000.
    ("irht", "IRT"),
    ("aed", "AED"),
    ("درهم", "AED"),
    ("jpy", "JPY"),
    ("cny", "CNY"),
    ("cad", "CAD"),
    ("aud", "AUD"),
    ("sek", "SEK"),
    ("nok", "NOK"),
    ("dkk", "DKK"),
    ("pln", "PLN"),
    ("czk", "CZK"),
    ("huf", "HUF"),
    ("inr", "INR"),
    ("rub", "RUB"),
];

/// Currency signs. Checked after the words so that "Amount (CAD $)" is CAD, not USD.
pub(super) const CURRENCY_SIGNS: &[(char, &str)] = &[
    ('€', "EUR"),
    ('£', "GBP"),
    ('﷼', "IRR"),
    ('₺', "TRY"),
    ('₹', "INR"),
    ('₽', "RUB"),
    ('$', "USD"),
];

/// Words that are left dangling once a currency is cut out of a header: "Betrag in EUR",
/// "مبلغ به تومان", "مبلغ بر حسب ریال", "Amount in thousand USD".
pub(super) const UNIT_FILLERS: &[&str] = &[
    "in",
    "per",
    "je",
    "به",
    "بر",
    "حسب",
    "برحسب",
    "thousand",
    "thousands",
    "tsd",
    "mio",
    "هزار",
    "میلیون",
];

/// Multipliers written next to a currency ("مبلغ (هزار تومان)", "Umsatz in Tsd. EUR").
pub(super) const SCALE_WORDS: &[(&str, u32)] = &[
    ("thousand", 1_000),
    ("thousands", 1_000),
    ("tsd", 1_000),
    ("هزار", 1_000),
    ("mio", 1_000_000),
    ("million", 1_000_000),
    ("millions", 1_000_000),
    ("میلیون", 1_000_000),
    // Currency codes that are themselves a thousand units (Persian WooCommerce).
    ("irht", 1_000),
    ("irhr", 1_000),
];

/// Short, mixed-language example lists for error messages: enough for a person to see what kind of
/// header was expected, not the whole table.
pub(super) mod examples {
    pub const ORDER_DATE: &[&str] = &[
        "Order Date",
        "InvoiceDate",
        "Created at",
        "Date",
        "Bestelldatum",
        "Rechnungsdatum",
        "Datum",
        "تاریخ سفارش",
        "تاریخ",
    ];
    pub const LINE_AMOUNT: &[&str] = &[
        "Amount",
        "Line Total",
        "Sales",
        "Revenue",
        "Betrag",
        "Umsatz",
        "مبلغ",
        "مبلغ کل",
    ];
    pub const QUANTITY: &[&str] = &["Quantity", "Qty", "Menge", "Anzahl", "تعداد"];
    pub const UNIT_PRICE: &[&str] = &["Unit Price", "Price", "Einzelpreis", "Preis", "فی", "قیمت واحد"];
    pub const CUSTOMER_ID: &[&str] = &[
        "Customer ID",
        "CustomerID",
        "Contact ID",
        "Kundennummer",
        "کد مشتری",
    ];
    pub const EMAIL: &[&str] = &["Email", "E-Mail", "ایمیل"];
    pub const PHONE: &[&str] = &["Mobile", "Phone", "شماره موبایل", "تلفن همراه"];
    pub const EVENT_TYPE: &[&str] = &[
        "Event Type",
        "Event",
        "Activity",
        "Action",
        "Ereignis",
        "نوع رویداد",
    ];
    pub const EVENT_TIME: &[&str] = &[
        "Timestamp",
        "Event Time",
        "Occurred At",
        "Date",
        "Zeitstempel",
        "زمان رویداد",
    ];
}

/// Consent and opt-out headers whose cells are read only where they are a plain answer (yes, no,
/// a word of the vocabulary), and record nothing otherwise: tools put other things under them
/// ("Opted In": the opt-in's date; "Email Permission Status": Implicit or Explicit; "Email
/// Subscription": Weekly; "Marketing Emails": a count; "Unsubscribe": a link). Read like the
/// consent columns named by their words (`crate::ingest::convert::ConsentCols`), such a value
/// refuses no one, where a listed consent column's unclear value refuses.
pub const LENIENT_CONSENT_HEADERS: &[&str] = &[
    "Email Consent",
    "Opted In",
    "Email Opted In",
    "Email Permission",
    "Email Permission Status",
    "Permission to Email",
    "Email Subscription",
    "Marketing Emails",
    "Contact Permission",
    "Marketing Permission",
    "Receive Offers",
    "Receive Marketing",
    "Consent Status",
    "Marketing Consent Status",
    "E-Mail-Werbung erlaubt",
    "Werbung erlaubt",
    "E-Mail-Werbung",
    "Werbeerlaubnis",
];

/// Opt-out headers read the same way: a bare "Unsubscribe" is a flag in some lists and a link to
/// the unsubscribe page in others.
pub const LENIENT_OPT_OUT_HEADERS: &[&str] = &["Unsubscribe"];
