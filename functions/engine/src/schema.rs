//! The canonical data contract: which datasets exist and which fields each one maps source columns onto.
//! Parquet column names are the `Field::name()` strings; they are part of the contract documented in
//! `docs/data-contract.md` and must not change without a schema version bump.

use serde::{Deserialize, Serialize};

/// Bumped whenever a Parquet column is added, removed, renamed or retyped.
pub const SCHEMA_VERSION: u32 = 3;

/// The canonical event types of `curated/activity` (`event_type`), in the data contract's order.
pub const EVENT_TYPES: [&str; 10] = [
    "page_view",
    "download",
    "form_submit",
    "video_view",
    "newsletter_signup",
    "unsubscribe",
    "email_open",
    "email_click",
    "purchase",
    "other",
];

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Dataset {
    Sales,
    Customers,
    Activity,
}

impl Dataset {
    pub const ALL: [Dataset; 3] = [Dataset::Sales, Dataset::Customers, Dataset::Activity];

    pub fn name(self) -> &'static str {
        match self {
            Dataset::Sales => "sales",
            Dataset::Customers => "customers",
            Dataset::Activity => "activity",
        }
    }

    pub fn from_name(s: &str) -> Option<Dataset> {
        Dataset::ALL.into_iter().find(|d| d.name() == s)
    }

    /// Fields a source column may be mapped onto for this dataset.
    pub fn fields(self) -> &'static [Field] {
        use Field::*;
        match self {
            Dataset::Sales => &[
                OrderId,
                CustomerId,
                Email,
                Phone,
                OrderDate,
                OrderTime,
                TimeZone,
                ProductId,
                ProductName,
                Category,
                Quantity,
                UnitPrice,
                LineAmount,
                Currency,
                Country,
                City,
                Channel,
                Status,
                DocumentType,
                MarketingConsent,
            ],
            Dataset::Customers => &[
                CustomerId,
                Email,
                Phone,
                BirthDate,
                Age,
                Gender,
                City,
                Country,
                JobTitle,
                SignupDate,
                MarketingConsent,
            ],
            Dataset::Activity => &[
                CustomerId,
                Email,
                Phone,
                EventType,
                EventTime,
                Page,
                DurationSeconds,
                JobTitle,
            ],
        }
    }
}

/// A canonical field. One enum for all datasets so that shared fields (customer id, email, city…)
/// have one set of header synonyms.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Field {
    // sales
    OrderId,
    CustomerId,
    Email,
    /// A phone or mobile number: read to key the customer when there is no id or email (Iranian
    /// shops know buyers by their mobile), never written as a column of its own.
    Phone,
    /// A date or a date-time; when a separate `OrderTime` column exists the two are combined.
    OrderDate,
    OrderTime,
    /// A row's own time zone (Square's "Time Zone": "Eastern Time (US & Canada)"), for its naive
    /// times.
    TimeZone,
    ProductId,
    ProductName,
    Category,
    Quantity,
    UnitPrice,
    LineAmount,
    Currency,
    Country,
    City,
    Channel,
    Status,
    /// What a row is in a ledger or account history ("Invoice", "Credit Memo", "Payment"): see
    /// `ingest::convert::sales::document_kind`.
    DocumentType,
    // customers
    BirthDate,
    Age,
    Gender,
    JobTitle,
    SignupDate,
    MarketingConsent,
    // activity
    EventType,
    EventTime,
    Page,
    DurationSeconds,
}

impl Field {
    pub fn name(self) -> &'static str {
        use Field::*;
        match self {
            OrderId => "order_id",
            CustomerId => "customer_id",
            Email => "email",
            Phone => "phone",
            OrderDate => "order_date",
            OrderTime => "order_time",
            TimeZone => "time_zone",
            ProductId => "product_id",
            ProductName => "product_name",
            Category => "category",
            Quantity => "quantity",
            UnitPrice => "unit_price",
            LineAmount => "line_amount",
            Currency => "currency",
            Country => "country",
            City => "city",
            Channel => "channel",
            Status => "status",
            DocumentType => "document_type",
            BirthDate => "birth_date",
            Age => "age",
            Gender => "gender",
            JobTitle => "job_title",
            SignupDate => "signup_date",
            MarketingConsent => "marketing_consent",
            EventType => "event_type",
            EventTime => "event_time",
            Page => "page",
            DurationSeconds => "duration_seconds",
        }
    }

    pub fn from_name(s: &str) -> Option<Field> {
        ALL_FIELDS.iter().copied().find(|f| f.name() == s)
    }
}

pub const ALL_FIELDS: [Field; 29] = {
    use Field::*;
    [
        OrderId,
        CustomerId,
        Email,
        Phone,
        OrderDate,
        OrderTime,
        TimeZone,
        ProductId,
        ProductName,
        Category,
        Quantity,
        UnitPrice,
        LineAmount,
        Currency,
        Country,
        City,
        Channel,
        Status,
        DocumentType,
        BirthDate,
        Age,
        Gender,
        JobTitle,
        SignupDate,
        MarketingConsent,
        EventType,
        EventTime,
        Page,
        DurationSeconds,
    ]
};
