//! JSON orders' nested refunds read as return lines of their order.

use super::*;

fn some(v: &[&str]) -> Vec<Option<String>> {
    v.iter().map(|s| Some(s.to_string())).collect()
}

/// Shopify's REST orders with their refunds (the bundled fixture): a line refunded in part is a
/// return line of its product at its `subtotal` (not the transaction's total, which adds tax), on
/// the refund's date; an order refunded whole likewise, its shipping quarantined apart; a refund of
/// money only (a transaction, no line) one return line of that money without a product; a refund
/// of shipping only no return line at all. Before, every line of these orders counted as bought.
#[test]
fn shopify_rest_refunds_are_return_lines_of_their_order() {
    let (out, _s) = ingest("exports/sales/shopify_orders.json", &IngestOptions::default());
    let r = &out.report.rows;
    assert_eq!(
        (r.read, r.written, r.rejected),
        (10, 8, 2),
        "{:?}",
        r.rejected_by_reason
    );
    assert_eq!(rejected_by_reason(&out), [("shipping_refund", 2)]);
    // Shipping given back is no product return: expected, the file is read in full.
    assert_eq!(out.report.status, Status::Ok);
    let b = batches(&out);
    assert_eq!(
        strings(&b, "order_id"),
        some(&[
            "#2001", "#2001", "#2001", "#2002", "#2002", "#2003", "#2003", "#2004"
        ])
    );
    assert_eq!(
        strings(&b, "customer_id"),
        some(&["7301", "7301", "7301", "7302", "7302", "7301", "7301", "7303"])
    );
    assert_eq!(
        strings(&b, "product_id"),
        [
            Some("901".to_string()),
            Some("902".into()),
            Some("902".into()),
            Some("903".into()),
            Some("903".into()),
            Some("904".into()),
            None,
            Some("905".into())
        ]
    );
    assert_eq!(
        floats(&b, "quantity"),
        [2.0, 1.0, -1.0, 1.0, -1.0, 2.0, -1.0, 1.0]
    );
    assert_eq!(
        floats(&b, "line_amount"),
        [60.0, 40.0, -40.0, 25.0, -25.0, 30.0, -10.0, 20.0]
    );
    // The order refunded whole is a return by its status on its own line as well; segmentation
    // counts what came back of it once (the larger of the two).
    assert_eq!(
        bools(&b, "is_return"),
        [false, false, true, true, true, false, true, false]
    );
    assert_eq!(
        times(&b),
        [
            "2023-11-06T15:15:00+00:00",
            "2023-11-06T15:15:00+00:00",
            "2023-11-14T14:30:00+00:00",
            "2023-11-09T21:40:00+00:00",
            "2023-11-12T16:00:00+00:00",
            "2023-11-20T13:05:00+00:00",
            "2023-11-24T18:45:00+00:00",
            "2023-11-27T17:00:00+00:00"
        ]
    );
    // A return line stands under its order's element, as the order's items do.
    assert_eq!(ints(&b, "source_line"), [1, 1, 1, 2, 2, 3, 3, 4]);
    let stats = out.report.stats.as_ref().unwrap();
    assert_eq!((stats.refund_lines, stats.returns), (Some(3), Some(4)));
    let mapping = out.report.mapping.as_ref().unwrap();
    assert_eq!(
        mapping.used.get("line_amount"),
        None,
        "the refunds' amounts are no column of the orders: {:?}",
        mapping.used
    );
    for h in ["refunds", "refund_line.quantity", "refund_line.amount"] {
        assert!(
            !mapping.unmapped.iter().any(|u| u == h),
            "{h}: {:?}",
            mapping.unmapped
        );
    }
    let quarantined = quarantine_lines(&out);
    let details: Vec<&str> = quarantined
        .iter()
        .map(|q| q["detail"].as_str().unwrap())
        .collect();
    assert_eq!(
        details,
        [
            "refund 1 of the order (id 8102) also gave back 5 of shipping, which is no product return",
            "refund 1 of the order (id 8104) gave back 5 of shipping, which is no product return"
        ]
    );
    assert_eq!(
        quarantined.iter().map(|q| q["line"].as_u64()).collect::<Vec<_>>(),
        [Some(2), Some(4)]
    );
}

/// Shopify's GraphQL orders name their refund lines in a connection (`nodes` or `edges`), value
/// them by `subtotalSet.shopMoney.amount`, embed the `lineItem` and date the refund `createdAt`.
#[test]
fn shopify_graphql_refunds_are_return_lines_of_their_order() {
    let lines = [
        r##"{"id": "gid://shopify/Order/1", "name": "#3001", "email": "g@example.com", "createdAt": "2024-03-01T10:00:00Z", "currencyCode": "EUR", "customer": {"id": "gid://shopify/Customer/9"}, "lineItems": [{"id": "gid://shopify/LineItem/11", "sku": "A", "name": "Alpha", "quantity": 2, "price": "50.00"}, {"id": "gid://shopify/LineItem/12", "sku": "B", "name": "Beta", "quantity": 1, "price": "20.00"}], "refunds": [{"createdAt": "2024-03-05T10:00:00Z", "refundLineItems": {"nodes": [{"quantity": 1, "subtotalSet": {"shopMoney": {"amount": "40.00", "currencyCode": "EUR"}}, "lineItem": {"id": "gid://shopify/LineItem/11", "sku": "A"}}]}}, {"createdAt": "2024-03-06T10:00:00Z", "refundLineItems": {"edges": [{"node": {"quantity": 1, "subtotalSet": {"shopMoney": {"amount": "20.00"}}, "lineItem": {"sku": "B", "name": "Beta"}}}]}}]}"##,
    ];
    let (out, _s, _d) = sales_text("orders.jsonl", &lines.join("\n"));
    let r = &out.report.rows;
    assert_eq!((r.read, r.written), (4, 4), "{:?}", r.rejected_by_reason);
    let b = batches(&out);
    assert_eq!(strings(&b, "order_id"), some(&["gid://shopify/Order/1"; 4]));
    assert_eq!(strings(&b, "product_id"), some(&["A", "B", "A", "B"]));
    assert_eq!(floats(&b, "quantity"), [2.0, 1.0, -1.0, -1.0]);
    assert_eq!(floats(&b, "line_amount"), [100.0, 20.0, -40.0, -20.0]);
    assert_eq!(
        times(&b)[2..],
        ["2024-03-05T10:00:00+00:00", "2024-03-06T10:00:00+00:00"]
    );
    assert_eq!(ints(&b, "source_line"), [1, 1, 1, 1]);
}

/// WooCommerce's REST orders list refunds of a bare negative `total`, undated: a return line of
/// that much on the order's date, made negative whatever sign is written. Where a version gives
/// items their own refunds, those are the return lines (with the product), and the order's
/// refunds of the same money are not added. A cancelled order's refund is quarantined: its
/// lines never counted, so taking the refund off would leave its buyer below nothing.
#[test]
fn woocommerce_refunds_are_return_lines_and_not_counted_twice() {
    let woo = [
        r#"{"id": 801, "number": "W-801", "status": "completed", "currency": "EUR", "date_created": "2024-02-01T10:15:00", "total": "29.80", "customer_id": 41, "line_items": [{"id": 11, "name": "Kaffee", "sku": "KAF-1", "quantity": 2, "total": "19.80", "price": 9.9}, {"id": 12, "name": "Tasse", "sku": "TAS-1", "quantity": 1, "total": "10.00", "price": 10}], "refunds": [{"id": 90, "reason": "broken", "total": "-10.00"}]}"#,
        r#"{"id": 802, "number": "W-802", "status": "cancelled", "currency": "EUR", "date_created": "2024-02-02T10:15:00", "total": "5.00", "customer_id": 42, "line_items": [{"id": 21, "name": "Tee", "sku": "TEE-1", "quantity": 1, "total": "5.00", "price": 5}], "refunds": [{"id": 91, "reason": "", "total": "-5.00"}]}"#,
        r#"{"id": 803, "number": "W-803", "status": "processing", "currency": "EUR", "date_created": "2024-02-03T10:15:00", "total": "12.00", "customer_id": 43, "line_items": [{"id": 31, "name": "Tee", "sku": "TEE-1", "quantity": 3, "total": "12.00", "price": 4, "refunds": [{"id": 92, "reason": "", "total": "-4.00", "quantity": -1}]}], "refunds": [{"id": 92, "reason": "", "total": "-4.00"}]}"#,
    ];
    let (out, _s, _d) = sales_text("woo_orders.jsonl", &woo.join("\n"));
    let r = &out.report.rows;
    assert_eq!(
        (r.read, r.written, r.rejected),
        (7, 6, 1),
        "{:?}",
        r.rejected_by_reason
    );
    assert_eq!(rejected_by_reason(&out), [("cancelled_order_refund", 1)]);
    assert_eq!(out.report.status, Status::Ok);
    let b = batches(&out);
    assert_eq!(
        strings(&b, "order_id"),
        some(&["W-801", "W-801", "W-801", "W-802", "W-803", "W-803"])
    );
    assert_eq!(
        strings(&b, "product_id"),
        [
            Some("KAF-1".to_string()),
            Some("TAS-1".into()),
            None,
            Some("TEE-1".into()),
            Some("TEE-1".into()),
            Some("TEE-1".into())
        ]
    );
    assert_eq!(floats(&b, "quantity"), [2.0, 1.0, -1.0, 1.0, 3.0, -1.0]);
    assert_eq!(floats(&b, "line_amount"), [19.8, 10.0, -10.0, 5.0, 12.0, -4.0]);
    assert_eq!(times(&b)[2], "2024-02-01T10:15:00+00:00");
    assert_eq!(out.report.stats.as_ref().unwrap().refund_lines, Some(2));
}

/// A refund line without a `subtotal` gave back the item's price for each piece returned (not
/// the sale line's discount, which was the whole line's); a refund whose only transaction failed
/// and that lists no line gave nothing back, and is quarantined saying so.
#[test]
fn refund_lines_without_a_subtotal_and_refunds_of_nothing() {
    let json = r##"{"orders": [
  {"id": 1, "name": "#4001", "order_number": 4001, "email": "a@example.com", "financial_status": "partially_refunded",
   "created_at": "2024-03-01T10:00:00Z", "currency": "USD", "total_price": "42.00",
   "line_items": [
     {"id": 11, "sku": "A", "name": "A", "quantity": 1, "price": "12.00", "total_discount": "0.00"},
     {"id": 12, "sku": "B", "name": "B", "quantity": 4, "price": "7.50", "total_discount": "3.00"}
   ],
   "refunds": [
     {"id": 51, "created_at": "2024-03-04T10:00:00Z", "refund_line_items": [{"id": 61, "line_item_id": 12, "quantity": 2}], "transactions": []},
     {"id": 52, "created_at": "2024-03-05T10:00:00Z", "refund_line_items": [], "transactions": [{"kind": "refund", "status": "failure", "amount": "9.00"}]}
   ]}
]}"##;
    let (out, _s, _d) = sales_text("orders.json", json);
    let r = &out.report.rows;
    assert_eq!(
        (r.read, r.written, r.rejected),
        (4, 3, 1),
        "{:?}",
        r.rejected_by_reason
    );
    assert_eq!(rejected_by_reason(&out), [("empty_refund", 1)]);
    let b = batches(&out);
    assert_eq!(strings(&b, "product_id"), some(&["A", "B", "B"]));
    assert_eq!(floats(&b, "quantity"), [1.0, 4.0, -2.0]);
    assert_eq!(floats(&b, "line_amount"), [12.0, 27.0, -15.0]);
    assert_eq!(floats(&b, "unit_price"), [12.0, 7.5, 7.5]);
}

/// A Shopify orders export saved as "refunds.json" is orders all the same: its items are what
/// was bought and its nested refunds what went back. Read as a returns list by its name, its
/// items were negated beside the refund lines, and a buyer of 100 refunded 40 came to −140.
/// A flat JSON list of lines so named is still a returns list.
#[test]
fn json_orders_named_as_refunds_are_orders() {
    let json = r##"{"orders": [
  {"id": 1, "name": "#5001", "order_number": 5001, "email": "a@example.com", "financial_status": "partially_refunded",
   "created_at": "2024-03-01T10:00:00Z", "currency": "USD", "customer": {"id": 9001},
   "line_items": [{"id": 11, "sku": "A", "name": "A", "quantity": 1, "price": "100.00", "total_discount": "0.00"}],
   "refunds": [{"id": 51, "created_at": "2024-03-04T10:00:00Z", "refund_line_items": [{"id": 61, "line_item_id": 11, "quantity": 1, "subtotal": 40.0}], "transactions": []}]}
]}"##;
    for name in ["refunds.json", "shopify_refunds.json"] {
        let (out, _s, _d) = sales_text(name, json);
        let b = batches(&out);
        assert_eq!(floats(&b, "quantity"), [1.0, -1.0], "{name}");
        assert_eq!(floats(&b, "line_amount"), [100.0, -40.0], "{name}");
        assert!(!out.report.read_as_returns, "{name}");
        assert_eq!(out.report.stats.as_ref().unwrap().listed_returns, None, "{name}");
    }
    let flat = r#"[{"order_id": "R-1", "customer_id": "9001", "date": "2024-03-04", "sku": "A", "quantity": 1, "amount": 40}]"#;
    let (out, _s, _d) = sales_text("refunds.json", flat);
    assert_eq!(floats(&batches(&out), "line_amount"), [-40.0]);
    assert!(out.report.read_as_returns);
}

/// Shopify says an order was cancelled by its `cancelled_at`, not its `financial_status`: a
/// cancelled order refunded whole counted as bought and returned (frequency 1, return rate 1).
/// Its lines are now cancelled and its refund quarantined; an order whose `cancelled_at` is null
/// is untouched, and a GraphQL order without a status column is cancelled by its `cancelledAt`.
#[test]
fn shopify_cancelled_at_cancels_the_order() {
    let json = r##"{"orders": [
  {"id": 1, "name": "#6001", "order_number": 6001, "email": "a@example.com", "financial_status": "refunded",
   "cancelled_at": "2024-03-02T10:00:00Z", "created_at": "2024-03-01T10:00:00Z", "currency": "USD",
   "line_items": [{"id": 11, "sku": "A", "name": "A", "quantity": 1, "price": "50.00"}],
   "refunds": [{"id": 51, "created_at": "2024-03-02T10:00:00Z", "refund_line_items": [{"id": 61, "line_item_id": 11, "quantity": 1, "subtotal": 50.0}]}]},
  {"id": 2, "name": "#6002", "order_number": 6002, "email": "b@example.com", "financial_status": "paid",
   "cancelled_at": null, "created_at": "2024-03-01T10:00:00Z", "currency": "USD",
   "line_items": [{"id": 12, "sku": "B", "name": "B", "quantity": 1, "price": "20.00"}]}
]}"##;
    let (out, _s, _d) = sales_text("orders.json", json);
    let r = &out.report.rows;
    assert_eq!(
        (r.read, r.written, r.rejected),
        (3, 2, 1),
        "{:?}",
        r.rejected_by_reason
    );
    assert_eq!(rejected_by_reason(&out), [("cancelled_order_refund", 1)]);
    let b = batches(&out);
    assert_eq!(strings(&b, "status"), some(&["cancelled", "paid"]));
    assert_eq!(floats(&b, "line_amount"), [50.0, 20.0]);

    let gql = r##"{"id": "gid://shopify/Order/7", "name": "#6003", "email": "c@example.com", "createdAt": "2024-03-01T10:00:00Z", "cancelledAt": "2024-03-01T12:00:00Z", "lineItems": [{"sku": "C", "name": "C", "quantity": 2, "price": "5.00"}]}"##;
    let (out, _s, _d) = sales_text("orders.jsonl", gql);
    assert_eq!(strings(&batches(&out), "status"), some(&["cancelled"]));
}

/// Shopify's bulk operation output gives a Refund object on a line of its own naming its order
/// by `__parentId`, and each of its refund line items on a further line naming the refund. They
/// are return lines of that order, as the nested refunds are: the item refunded (embedded, or
/// remembered from its own line by `lineItem.id`), negative, on the refund's date, the buyer the
/// order's. A refund of money only (no refund line follows it) is one return line of its
/// `totalRefundedSet`; a refund of shipping only none. A refund line of a refund the file does
/// not give is quarantined, never read as another order's. Before, the order counted as bought
/// whole and the refund lines were quarantined as lines of an unknown order.
#[test]
fn shopify_bulk_refund_lines_are_return_lines_of_their_order() {
    let lines = [
        r##"{"id":"gid://shopify/Order/5001","name":"#5001","createdAt":"2024-04-01T10:00:00Z","email":"Nina@Example.com","displayFinancialStatus":"PARTIALLY_REFUNDED","currencyCode":"EUR"}"##,
        r##"{"id":"gid://shopify/LineItem/71","sku":"MUG-1","title":"Mug","quantity":2,"originalUnitPriceSet":{"shopMoney":{"amount":"12.50"}},"__parentId":"gid://shopify/Order/5001"}"##,
        r##"{"id":"gid://shopify/LineItem/72","sku":"TEA-1","title":"Tea","quantity":1,"originalUnitPriceSet":{"shopMoney":{"amount":"8.00"}},"__parentId":"gid://shopify/Order/5001"}"##,
        r##"{"id":"gid://shopify/Refund/901","createdAt":"2024-04-05T09:00:00Z","totalRefundedSet":{"shopMoney":{"amount":"20.50"}},"__parentId":"gid://shopify/Order/5001"}"##,
        r##"{"id":"gid://shopify/RefundLineItem/1","quantity":1,"restockType":"RETURN","lineItem":{"id":"gid://shopify/LineItem/71","sku":"MUG-1"},"subtotalSet":{"shopMoney":{"amount":"12.50"}},"__parentId":"gid://shopify/Refund/901"}"##,
        r##"{"id":"gid://shopify/Order/5002","name":"#5002","createdAt":"2024-04-02T10:00:00Z","email":"omar@example.com","displayFinancialStatus":"PARTIALLY_REFUNDED","currencyCode":"EUR"}"##,
        r##"{"id":"gid://shopify/LineItem/81","sku":"POT-1","title":"Pot","quantity":1,"originalUnitPriceSet":{"shopMoney":{"amount":"45.00"}},"__parentId":"gid://shopify/Order/5002"}"##,
        r##"{"id":"gid://shopify/Refund/902","createdAt":"2024-04-06T09:00:00Z","totalRefundedSet":{"shopMoney":{"amount":"10.00"}},"__parentId":"gid://shopify/Order/5002"}"##,
        r##"{"id":"gid://shopify/RefundLineItem/2","quantity":1,"restockType":"NO_RESTOCK","lineItem":{"id":"gid://shopify/LineItem/72"},"__parentId":"gid://shopify/Refund/901"}"##,
        r##"{"id":"gid://shopify/Refund/903","createdAt":"2024-04-07T09:00:00Z","totalRefundedSet":{"shopMoney":{"amount":"5.00"}},"__parentId":"gid://shopify/Order/5002"}"##,
        r##"{"subtotalAmountSet":{"shopMoney":{"amount":"5.00"}},"__parentId":"gid://shopify/Refund/903"}"##,
        r##"{"id":"gid://shopify/RefundLineItem/3","quantity":1,"lineItem":{"id":"gid://shopify/LineItem/99","sku":"GHOST"},"subtotalSet":{"shopMoney":{"amount":"3.00"}},"__parentId":"gid://shopify/Refund/999"}"##,
    ];
    let (out, _s, _d) = sales_text("bulk-orders.jsonl", &lines.join("\n"));
    assert_eq!(layout_of(&out), Some(crate::mapping::Layout::ShopifyBulk));
    let r = &out.report.rows;
    assert_eq!(
        (r.read, r.written, r.rejected),
        (12, 6, 6),
        "{:?}",
        r.rejected_by_reason
    );
    assert_eq!(
        rejected_by_reason(&out),
        [("missing_order", 1), ("order_summary", 3), ("shipping_refund", 2)]
    );
    // The refund line of a refund the file does not give is no row the layout expects.
    assert_eq!(out.report.status, Status::Partial);
    let b = batches(&out);
    assert_eq!(
        strings(&b, "order_id"),
        some(&["#5001", "#5001", "#5001", "#5002", "#5001", "#5002"])
    );
    assert_eq!(
        strings(&b, "customer_id"),
        some(&[
            "nina@example.com",
            "nina@example.com",
            "nina@example.com",
            "omar@example.com",
            "nina@example.com",
            "omar@example.com"
        ])
    );
    assert_eq!(
        strings(&b, "product_id"),
        [
            Some("MUG-1".to_string()),
            Some("TEA-1".into()),
            Some("MUG-1".into()),
            Some("POT-1".into()),
            Some("TEA-1".into()),
            None
        ]
    );
    assert_eq!(floats(&b, "quantity"), [2.0, 1.0, -1.0, 1.0, -1.0, -1.0]);
    // The refund line without a subtotal is worth the remembered item's price.
    assert_eq!(floats(&b, "line_amount"), [25.0, 8.0, -12.5, 45.0, -8.0, -10.0]);
    assert_eq!(bools(&b, "is_return"), [false, false, true, false, true, true]);
    assert_eq!(
        times(&b),
        [
            "2024-04-01T10:00:00+00:00",
            "2024-04-01T10:00:00+00:00",
            "2024-04-05T09:00:00+00:00",
            "2024-04-02T10:00:00+00:00",
            "2024-04-05T09:00:00+00:00",
            "2024-04-06T09:00:00+00:00"
        ]
    );
    // The refund of money only is known to be one when the file ends: its line, given last.
    assert_eq!(ints(&b, "source_line"), [2, 3, 5, 7, 9, 8]);
    let stats = out.report.stats.as_ref().unwrap();
    assert_eq!(stats.refund_lines, Some(3));
    let q = quarantine_lines(&out);
    let reasons: Vec<(u64, &str)> = q
        .iter()
        .map(|q| (q["line"].as_u64().unwrap(), q["reason"].as_str().unwrap()))
        .collect();
    assert!(reasons.contains(&(12, "missing_order")), "{reasons:?}");
    assert!(reasons.contains(&(4, "order_summary")), "{reasons:?}");
    assert!(reasons.contains(&(10, "shipping_refund")), "{reasons:?}");
    assert!(reasons.contains(&(11, "shipping_refund")), "{reasons:?}");
    let missing = q.iter().find(|q| q["line"] == 12).unwrap();
    assert!(
        missing["detail"]
            .as_str()
            .unwrap()
            .contains("gid://shopify/Refund/999"),
        "{missing}"
    );
    let mapping = out.report.mapping.as_ref().unwrap();
    for h in ["refund_line.quantity", "refund_line.amount", "lineItem.id"] {
        assert!(
            !mapping.unmapped.iter().any(|u| u == h),
            "{h}: {:?}",
            mapping.unmapped
        );
    }
}

/// `Order.refunds` is a list, not a connection: a bulk query gives an order's refunds inside the
/// order's own line (Shopify refuses a connection within a list, so without their refund lines).
/// Each is a return line of its money, as in a paged export; it was quarantined with its order
/// object as `order_summary`, and the order counted as bought whole.
#[test]
fn shopify_bulk_refunds_inside_the_order_line_are_return_lines() {
    let lines = [
        r##"{"id":"gid://shopify/Order/6001","name":"#6001","createdAt":"2024-05-01T10:00:00Z","email":"lea@example.com","displayFinancialStatus":"PARTIALLY_REFUNDED","currencyCode":"USD","refunds":[{"id":"gid://shopify/Refund/61","createdAt":"2024-05-03T12:00:00Z","totalRefundedSet":{"shopMoney":{"amount":"15.00","currencyCode":"USD"}}}]}"##,
        r##"{"id":"gid://shopify/LineItem/601","sku":"LAMP","title":"Lamp","quantity":1,"originalUnitPriceSet":{"shopMoney":{"amount":"60.00"}},"__parentId":"gid://shopify/Order/6001"}"##,
        r##"{"id":"gid://shopify/Order/6002","name":"#6002","createdAt":"2024-05-02T10:00:00Z","email":"max@example.com","displayFinancialStatus":"PAID","currencyCode":"USD","refunds":[]}"##,
        r##"{"id":"gid://shopify/LineItem/602","sku":"SHADE","title":"Shade","quantity":2,"originalUnitPriceSet":{"shopMoney":{"amount":"9.00"}},"__parentId":"gid://shopify/Order/6002"}"##,
    ];
    let (out, _s, _d) = sales_text("bulk-orders.jsonl", &lines.join("\n"));
    assert_eq!(layout_of(&out), Some(crate::mapping::Layout::ShopifyBulk));
    assert_eq!(rejected_by_reason(&out), [("order_summary", 2)]);
    assert_eq!(out.report.status, Status::Ok);
    let b = batches(&out);
    assert_eq!(strings(&b, "order_id"), some(&["#6001", "#6001", "#6002"]));
    assert_eq!(
        strings(&b, "customer_id"),
        some(&["lea@example.com", "lea@example.com", "max@example.com"])
    );
    assert_eq!(floats(&b, "quantity"), [-1.0, 1.0, 2.0]);
    assert_eq!(floats(&b, "line_amount"), [-15.0, 60.0, 18.0]);
    assert_eq!(
        times(&b),
        [
            "2024-05-03T12:00:00+00:00",
            "2024-05-01T10:00:00+00:00",
            "2024-05-02T10:00:00+00:00"
        ]
    );
    assert_eq!(ints(&b, "source_line"), [1, 2, 4]);
    assert_eq!(out.report.stats.as_ref().unwrap().refund_lines, Some(1));
}

/// Shopify's GraphQL orders read page by page (`customer { id email }`) are keyed by the email,
/// as the bulk export and Shopify's CSV export of the same orders are, not by the customer's gid:
/// otherwise one buyer was two customers depending on the export. An order without its own
/// `email` is keyed by its customer's.
#[test]
fn shopify_graphql_orders_are_keyed_by_email_as_the_other_exports() {
    let gql = r##"{"data": {"orders": {"edges": [
  {"node": {"id": "gid://shopify/Order/1", "name": "#1001", "createdAt": "2023-11-05T19:30:00Z", "email": "Sara@Example.com", "displayFinancialStatus": "PAID", "customer": {"id": "gid://shopify/Customer/9", "email": "sara@example.com"}, "lineItems": {"nodes": [{"sku": "MUG-1", "name": "Mug", "quantity": 2, "originalUnitPriceSet": {"shopMoney": {"amount": "12.50", "currencyCode": "CAD"}}}]}}},
  {"node": {"id": "gid://shopify/Order/2", "name": "#1002", "createdAt": "2023-11-06T10:00:00Z", "email": null, "displayFinancialStatus": "PAID", "customer": {"id": "gid://shopify/Customer/10", "email": "joe@example.com"}, "lineItems": {"nodes": [{"sku": "TEA-1", "name": "Tea", "quantity": 1, "originalUnitPriceSet": {"shopMoney": {"amount": "8.00", "currencyCode": "CAD"}}}]}}}
]}}}"##;
    let (out, _s, _d) = sales_text("orders.json", gql);
    assert_eq!(layout_of(&out), Some(crate::mapping::Layout::Shopify));
    let b = batches(&out);
    assert_eq!(
        strings(&b, "customer_id"),
        some(&["sara@example.com", "joe@example.com"])
    );
    let bulk = [
        r##"{"id":"gid://shopify/Order/1","name":"#1001","createdAt":"2023-11-05T19:30:00Z","email":"sara@example.com","customer":{"id":"gid://shopify/Customer/9"},"displayFinancialStatus":"PAID","currencyCode":"CAD"}"##,
        r##"{"id":"gid://shopify/LineItem/1","sku":"MUG-1","title":"Mug","quantity":2,"originalUnitPrice":"12.50","__parentId":"gid://shopify/Order/1"}"##,
    ];
    let (bulk, _s, _d) = sales_text("bulk-orders.jsonl", &bulk.join("\n"));
    assert_eq!(
        strings(&batches(&bulk), "customer_id"),
        some(&["sara@example.com"])
    );
}
