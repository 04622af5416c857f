use super::*;
use proptest::prelude::*;
use serde_json::Value;

/// The text of each located span, `None` where nothing was found.
fn spans<'t>(text: &'t str, pointers: &[&str]) -> Vec<Option<&'t str>> {
    locate_pointers(text, pointers)
        .into_iter()
        .map(|r| r.map(|r| &text[r]))
        .collect()
}

const DOC: &str = r#"{
  "a": {
    "b": [1, {"c": "x\"y}]"}, [ ]],
    "a/b": true,
    "m~n": null
  },
  "k\u0065y": -1.5e3,
  "": "empty key",
  "arr": [10, 11]
}"#;

#[test]
fn members_span_key_and_value() {
    assert_eq!(
        spans(DOC, &["/a/b/1/c", "/a/a~1b", "/a/m~0n", "/key", "/"]),
        vec![
            Some(r#""c": "x\"y}]""#),
            Some(r#""a/b": true"#),
            Some(r#""m~n": null"#),
            Some(r#""k\u0065y": -1.5e3"#),
            Some(r#""": "empty key""#),
        ]
    );
}

#[test]
fn elements_and_root_span_the_value() {
    assert_eq!(
        spans(DOC, &["/a/b/0", "/a/b/1", "/a/b/2", "/arr/1"]),
        vec![Some("1"), Some(r#"{"c": "x\"y}]"}"#), Some("[ ]"), Some("11")]
    );
    assert_eq!(spans(DOC, &[""]), vec![Some(DOC)]);
    assert_eq!(spans("  [1]\n", &[""]), vec![Some("[1]")]);
}

#[test]
fn unknown_and_invalid_pointers_are_none() {
    let got = spans(
        DOC,
        &[
            "/zzz",
            "/a/b/3",
            "/arr/01",
            "/arr/-",
            "/arr/+1",
            "/arr/x",
            "/a/b/0/c",
            "a",
            "/a/~2",
            "/a/b/1/c/d",
            "/key/0",
        ],
    );
    assert!(got.iter().all(Option::is_none), "{got:?}");
}

#[test]
fn same_pointer_twice_and_last_duplicate_key_wins() {
    let text = r#"{"a": 1, "a": 2}"#;
    assert_eq!(spans(text, &["/a", "/a"]), vec![Some(r#""a": 2"#); 2]);
}

#[test]
fn surrogate_pair_escapes_in_keys() {
    // A lone surrogate is invalid JSON (serde_json rejects it), so the scan stops there.
    let text = r#"{"\ud83d\ude00": 1, "\ud83d": 2, "\t\/": 3}"#;
    assert_eq!(
        spans(text, &["/\u{1F600}", "/\t~1"]),
        vec![Some(r#""\ud83d\ude00": 1"#), None]
    );
    assert_eq!(spans(r#"{"\t\/": 3}"#, &["/\t~1"]), vec![Some(r#""\t\/": 3"#)]);
    assert_eq!(decode_string(r"\t\/\b\f\n\r").as_deref(), Some("\t/\u{8}\u{c}\n\r"));
    assert_eq!(decode_string(r"\ud83dx"), None);
    assert_eq!(decode_string(r"\ud83d\u0041"), None);
    assert_eq!(decode_string(r"\x"), None);
    assert_eq!(decode_string(r"\u12"), None);
}

#[test]
fn malformed_text_keeps_what_was_found_before_the_error() {
    let text = r#"{"a": 1, "b": [1, 2"#;
    assert_eq!(
        spans(text, &["/a", "/b/0", "/b", ""]),
        vec![Some(r#""a": 1"#), Some("1"), None, None]
    );
    assert_eq!(
        spans(r#"{"a": 1 "b": 2}"#, &["/a", "/b"]),
        vec![Some(r#""a": 1"#), None]
    );
    for bad in [
        r#"{"a" 1}"#,
        r#"{"a": tru}"#,
        r#"{"x": [1}, "a": 1}"#,
        r#"{"x": "unterminated, "a": 1"#,
        r#"{a: 1}"#,
        r#"{"a": @}"#,
        "",
    ] {
        assert_eq!(spans(bad, &["/a", ""]), vec![None, None], "{bad}");
    }
}

#[test]
fn deep_nesting_outside_the_pointer_path_is_skipped_iteratively() {
    let deep = format!(r#"{{"x": {}{}, "a": 1}}"#, "[".repeat(100_000), "]".repeat(100_000));
    assert_eq!(spans(&deep, &["/a"]), vec![Some(r#""a": 1"#)]);
}

#[test]
fn escape_token_round_trips() {
    assert!(matches!(escape_token("plain"), Cow::Borrowed("plain")));
    assert_eq!(escape_token("a/b~c"), "a~1b~0c");
    assert_eq!(unescape_token("a~1b~0c").as_deref(), Some("a/b~c"));
    assert_eq!(unescape_token("~01").as_deref(), Some("~1"));
    assert_eq!(unescape_token("~"), None);
}

#[test]
fn line_col_counts_characters() {
    let text = "ab\r\n\u{e9}t\u{e9}\n\nlast";
    let index = LineIndex::new(text);
    assert_eq!(index.line_col(text, 0), (1, 1));
    assert_eq!(index.line_col(text, 2), (1, 3)); // the '\r'
    assert_eq!(index.line_col(text, 4), (2, 1));
    assert_eq!(index.line_col(text, 7), (2, 3)); // after "é" (2 bytes) and "t"
    assert_eq!(index.line_col(text, 5), (2, 1)); // inside "é": clamped back
    assert_eq!(index.line_col(text, 10), (3, 1));
    assert_eq!(index.line_col(text, 11), (4, 1));
    assert_eq!(index.line_col(text, 999), (4, 5));
}

#[test]
fn line_span_excludes_terminators() {
    let text = "ab\r\n\u{e9}t\u{e9}\n\nlast";
    let index = LineIndex::new(text);
    let lines: Vec<&str> = (1..=4).map(|l| &text[index.line_span(text, l)]).collect();
    assert_eq!(lines, ["ab", "\u{e9}t\u{e9}", "", "last"]);
    assert_eq!(index.line_span(text, 0), text.len()..text.len());
    assert_eq!(index.line_span(text, 5), text.len()..text.len());
    let trailing = "x\n";
    assert_eq!(LineIndex::new(trailing).line_span(trailing, 2), 2..2);
    assert_eq!(LineIndex::new("").line_col("", 0), (1, 1));
}

fn arb_json() -> impl Strategy<Value = Value> {
    let key = prop_oneof!["[a-c~/\"\\\\ ]{0,3}", any::<String>()];
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::from),
        any::<i64>().prop_map(Value::from),
        any::<f64>().prop_map(Value::from),
        any::<String>().prop_map(Value::from),
    ];
    leaf.prop_recursive(4, 64, 6, move |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
            prop::collection::vec((key.clone(), inner), 0..6).prop_map(|kv| Value::Object(kv.into_iter().collect())),
        ]
    })
}

/// Every pointer in `value`, with the key when its last token names an object member.
fn all_pointers(value: &Value, at: String, out: &mut Vec<(String, Option<String>)>) {
    match value {
        Value::Object(map) => {
            for (k, v) in map {
                let p = format!("{at}/{}", escape_token(k));
                out.push((p.clone(), Some(k.clone())));
                all_pointers(v, p, out);
            }
        }
        Value::Array(items) => {
            for (i, v) in items.iter().enumerate() {
                let p = format!("{at}/{i}");
                out.push((p.clone(), None));
                all_pointers(v, p, out);
            }
        }
        _ => {}
    }
}

fn check_against_serde(text: &str) -> Result<(), TestCaseError> {
    let parsed: Value = serde_json::from_str(text).expect("serde_json printed it");
    let mut pointers = vec![(String::new(), None)];
    all_pointers(&parsed, String::new(), &mut pointers);
    let refs: Vec<&str> = pointers.iter().map(|(p, _)| p.as_str()).collect();
    for ((pointer, key), span) in pointers.iter().zip(locate_pointers(text, &refs)) {
        let span = span.ok_or_else(|| TestCaseError::fail(format!("{pointer:?} not found")))?;
        let slice = &text[span];
        prop_assert_eq!(slice.trim(), slice);
        let value_text = match key {
            Some(key) => {
                let mut stream = serde_json::Deserializer::from_str(slice).into_iter::<Value>();
                let got_key = stream.next().and_then(Result::ok);
                prop_assert_eq!(got_key, Some(Value::String(key.clone())));
                let rest = slice[stream.byte_offset()..].trim_start();
                rest.strip_prefix(':').unwrap_or("<no colon>")
            }
            None => slice,
        };
        let got: Value = serde_json::from_str(value_text)
            .map_err(|e| TestCaseError::fail(format!("{pointer:?}: {value_text:?}: {e}")))?;
        prop_assert_eq!(Some(&got), parsed.pointer(pointer), "{}", pointer);
    }
    let missing: Vec<String> = pointers
        .iter()
        .flat_map(|(p, _)| [format!("{p}/\u{1}missing"), format!("{p}/00")])
        .collect();
    let refs: Vec<&str> = missing.iter().map(String::as_str).collect();
    for (pointer, span) in refs.iter().zip(locate_pointers(text, &refs)) {
        prop_assert_eq!(span.is_some(), parsed.pointer(pointer).is_some(), "{}", pointer);
    }
    Ok(())
}

proptest! {
    #[test]
    fn spans_match_serde_json(value in arb_json()) {
        check_against_serde(&serde_json::to_string(&value).unwrap())?;
        let pretty = serde_json::to_string_pretty(&value).unwrap();
        check_against_serde(&pretty)?;
        check_against_serde(&pretty.replace('\n', "\r\n"))?;
    }

    #[test]
    fn arbitrary_text_never_panics(text in any::<String>(), pointers in prop::collection::vec(any::<String>(), 0..4)) {
        let refs: Vec<&str> = pointers.iter().map(String::as_str).collect();
        for span in locate_pointers(&text, &refs).into_iter().flatten() {
            prop_assert!(text.get(span).is_some());
        }
    }

    #[test]
    fn json_like_noise_never_panics(text in "[\\[\\]{}\":,\\\\a0 -]{0,40}", pointers in prop::collection::vec("(/[a0]){0,3}", 0..4)) {
        let refs: Vec<&str> = pointers.iter().map(String::as_str).collect();
        for span in locate_pointers(&text, &refs).into_iter().flatten() {
            prop_assert!(text.get(span).is_some());
        }
    }

    #[test]
    fn line_col_matches_naive_count(text in "[a\u{e9}\u{1F600}\r\n]{0,30}", at in 0usize..200) {
        let index = LineIndex::new(&text);
        let mut offset = at.min(text.len());
        while !text.is_char_boundary(offset) {
            offset -= 1;
        }
        let before = &text[..offset];
        let line = before.matches('\n').count() + 1;
        let line_start = before.rfind('\n').map_or(0, |i| i + 1);
        let column = text[line_start..offset].chars().count() + 1;
        prop_assert_eq!(index.line_col(&text, at), (line, column));
        let span = index.line_span(&text, line);
        prop_assert_eq!(span.start, line_start);
        prop_assert!(!text[span].contains('\n'));
    }
}
