//! Signing against the vendor's seed vectors and an independent model of
//! its Java reference (UTF-16 code-unit order).

use faceid_test_support::callbacks::TICKET as SEED_TICKET;
use proptest::prelude::*;
use sha1::{Digest, Sha1};
use tencent_faceid::sign::{
    ParseSignatureError, Signature, explain, java_string_order, sign, verify,
};

/// The reference, written the slow and obvious way: Java compares strings
/// by UTF-16 code units.
fn utf16_sorted(values: &[String], ticket: &str) -> Vec<String> {
    let mut all: Vec<String> = values.to_vec();
    all.push(ticket.to_owned());
    all.sort_by_key(|s| s.encode_utf16().collect::<Vec<u16>>());
    all
}

fn reference_signature(values: &[String], ticket: &str) -> String {
    let digest = Sha1::digest(utf16_sorted(values, ticket).concat().as_bytes());
    digest.iter().map(|b| format!("{b:02X}")).collect()
}

/// Characters from the ranges where UTF-8 and UTF-16 order disagree, plus
/// ASCII and common CJK.
fn tricky_char() -> impl Strategy<Value = char> {
    prop_oneof![
        proptest::char::range('0', 'z'),
        proptest::char::range('\u{4E00}', '\u{4E10}'),
        proptest::char::range('\u{E000}', '\u{E002}'),
        proptest::char::range('\u{FF00}', '\u{FF02}'),
        proptest::char::range('\u{FFFD}', '\u{FFFF}'),
        proptest::char::range('\u{10000}', '\u{10002}'),
        proptest::char::range('\u{20000}', '\u{20002}'),
        proptest::char::range('\u{10FFFE}', '\u{10FFFF}'),
    ]
}

fn tricky_string() -> impl Strategy<Value = String> {
    proptest::collection::vec(tricky_char(), 0..6).prop_map(|chars| chars.into_iter().collect())
}

fn refs(values: &[String]) -> Vec<&str> {
    values.iter().map(String::as_str).collect()
}

#[test]
fn callback_seed_vector() {
    let signature = sign(&["appId001", "test1480921551481", "0"], SEED_TICKET);
    assert_eq!(
        signature.to_string(),
        "526365E042766AE27A6E52D2E4829D4C6E156B5D"
    );
}

#[test]
fn start_seed_vector_and_its_sorted_list() {
    let values = [
        "appId001",
        "orderNo19959248596551",
        "testName",
        "4300000000000",
        "userID19959248596551",
        "1.0.0",
    ];
    let explanation = explain(&values, SEED_TICKET);
    assert_eq!(
        explanation.sorted,
        [
            "1.0.0",
            "4300000000000",
            "appId001",
            "<ticket>",
            "orderNo19959248596551",
            "testName",
            "userID19959248596551"
        ]
    );
    assert_eq!(
        explanation.signature.to_string(),
        "EE57F7C1EDDE7B6BB0DFB54CD902836B8EB0575B"
    );
}

#[test]
fn verify_accepts_either_case_and_rejects_other_values() {
    let values = ["appId001", "test1480921551481", "0"];
    for text in [
        "526365E042766AE27A6E52D2E4829D4C6E156B5D",
        "526365e042766ae27a6e52d2e4829d4c6e156b5d",
        "526365e042766AE27A6E52D2E4829D4C6E156b5d",
    ] {
        let parsed: Signature = text.parse().unwrap();
        assert!(verify(&values, SEED_TICKET, &parsed), "{text}");
    }
    let good: Signature = "526365E042766AE27A6E52D2E4829D4C6E156B5D".parse().unwrap();
    assert!(!verify(
        &["appId001", "test1480921551481", "1"],
        SEED_TICKET,
        &good
    ));
    assert!(!verify(&values, "another-ticket", &good));
}

#[test]
fn parse_rejects_wrong_length_and_non_hex_with_a_clear_message() {
    let too_short = "526365E0".parse::<Signature>().unwrap_err();
    assert_eq!(too_short, ParseSignatureError::WrongLength(8));
    assert_eq!(
        too_short.to_string(),
        "a signature is 40 hex characters, this one has 8 characters"
    );
    let too_long = format!("{}0", "A".repeat(40));
    assert_eq!(
        too_long.parse::<Signature>(),
        Err(ParseSignatureError::WrongLength(41))
    );
    assert_eq!(
        "".parse::<Signature>(),
        Err(ParseSignatureError::WrongLength(0))
    );
    let not_hex = "526365E042766AE27A6E52D2E4829D4C6E156B5Z";
    assert_eq!(
        not_hex.parse::<Signature>(),
        Err(ParseSignatureError::NotHex { position: 39 })
    );
    assert_eq!(
        " 26365E042766AE27A6E52D2E4829D4C6E156B5D".parse::<Signature>(),
        Err(ParseSignatureError::NotHex { position: 0 })
    );
}

#[test]
fn supplementary_characters_sort_before_the_private_use_area() {
    // In UTF-8 (and code points) U+E000 < U+20000; in UTF-16, 0xD840 < 0xE000.
    let high = "\u{20000}".to_owned();
    let private = "\u{E000}".to_owned();
    assert!(high.as_bytes() > private.as_bytes());
    let explanation = explain(&[high.as_str(), private.as_str()], "t");
    assert_eq!(explanation.sorted, ["<ticket>", "\u{20000}", "\u{E000}"]);
}

proptest! {
    #[test]
    fn order_matches_java_utf16_order(a in tricky_string(), b in tricky_string()) {
        let expected = a.encode_utf16().cmp(b.encode_utf16());
        prop_assert_eq!(java_string_order(&a, &b), expected);
    }

    #[test]
    fn signature_matches_the_utf16_reference(
        values in proptest::collection::vec(tricky_string(), 0..10),
        ticket in tricky_string(),
    ) {
        let ours = sign(&refs(&values), &ticket).to_string();
        prop_assert_eq!(ours, reference_signature(&values, &ticket));
    }

    #[test]
    fn explanation_lists_the_reference_order(
        values in proptest::collection::vec(tricky_string(), 0..10),
    ) {
        let ticket = "TICKET-NOT-IN-VALUES\u{1F600}";
        let shown = explain(&refs(&values), ticket).sorted;
        let expected: Vec<String> = utf16_sorted(&values, ticket)
            .into_iter()
            .map(|v| if v == ticket { "<ticket>".to_owned() } else { v })
            .collect();
        prop_assert_eq!(shown, expected);
    }

    #[test]
    fn signing_ignores_input_order(
        mut values in proptest::collection::vec(tricky_string(), 0..10),
        ticket in tricky_string(),
    ) {
        let before = sign(&refs(&values), &ticket);
        values.reverse();
        prop_assert_eq!(before, sign(&refs(&values), &ticket));
    }

    #[test]
    fn display_and_parse_round_trip_in_either_case(bytes in proptest::array::uniform20(any::<u8>())) {
        let signature = Signature::from_bytes(bytes);
        let upper = signature.to_string();
        prop_assert_eq!(upper.to_uppercase(), upper.clone());
        prop_assert_eq!(upper.parse::<Signature>().unwrap(), signature);
        prop_assert_eq!(upper.to_lowercase().parse::<Signature>().unwrap(), signature);
    }
}
