use super::{fixture, fixture_bytes};
use crate::ingest::host::ps_json::{parse_features, parse_group_members, parse_objects, parse_os};
use crate::ingest::host::registered::parse_registered;
use crate::ingest::host::sc::parse_qsidtype;
use crate::ingest::host::text::offset_at;
use crate::model::SidType;
use crate::source::decode;

#[test]
fn decode_boms_and_errors() {
    assert_eq!(decode(b"\xEF\xBB\xBFabc").unwrap(), "abc");
    assert_eq!(decode(b"plain").unwrap(), "plain");
    assert_eq!(decode(b"\xFE\xFF\x00h\x00i").unwrap(), "hi");
    assert_eq!(decode(b"\xFF\xFEh\x00\x3D\xD8\x00\xDE").unwrap(), "h\u{1F600}");
    let odd = decode(b"\xFF\xFEa\x00b").unwrap_err();
    assert_eq!(odd.offset, 4);
    assert!(odd.message.contains("odd"));
    // A high surrogate followed by a normal character, at code unit 1 (byte 2 + 2).
    let unpaired = decode(b"\xFF\xFEa\x00\x3D\xD8b\x00").unwrap_err();
    assert_eq!(unpaired.offset, 4);
    assert_eq!(decode(b"ab\xFFcd").unwrap_err().offset, 2);
    assert_eq!(decode(b"\xEF\xBB\xBFab\xC3").unwrap_err().offset, 5);
    assert_eq!(decode(b"").unwrap(), "");
}

#[test]
fn line_col_to_offset() {
    let text = "ab\r\ncdé\nf";
    assert_eq!(offset_at(text, 1, 1, false), 0);
    assert_eq!(offset_at(text, 2, 2, false), 5);
    assert_eq!(offset_at(text, 2, 4, true), 8, "é is one char, two bytes");
    assert_eq!(offset_at(text, 2, 4, false), 6, "byte column inside é snaps back");
    assert_eq!(offset_at(text, 9, 9, true), text.len());
}

#[test]
fn sc_qsidtype_forms() {
    let out = parse_qsidtype(&fixture("sc-qsidtype-ias.txt")).unwrap();
    assert_eq!(out.sid_type, SidType::Unrestricted);
    assert_eq!(out.service.as_deref(), Some("IAS"));
    let text = fixture("sc-qsidtype-ias.txt");
    assert_eq!(&text[out.span], "SERVICE_SID_TYPE:  UNRESTRICTED");

    let legacy = parse_qsidtype("SERVICE_NAME: IAS\nSERVICE_SID_TYPE_UNRESTRICTED\n").unwrap();
    assert_eq!(legacy.sid_type, SidType::Unrestricted);
    let restricted = "[SC] QueryServiceConfig2 SUCCESS\r\n\r\nSERVICE_NAME: IAS\r\nservice_sid_type:  restricted\r\n";
    assert_eq!(parse_qsidtype(restricted).unwrap().sid_type, SidType::Restricted);
    let none = parse_qsidtype("SERVICE_SID_TYPE:  NONE").unwrap();
    assert_eq!((none.sid_type, none.service), (SidType::None, None));
    assert_eq!(
        parse_qsidtype("SERVICE_SID_TYPE_RESTRICTED").unwrap().sid_type,
        SidType::Restricted
    );
}

#[test]
fn sc_failures() {
    let err = parse_qsidtype(&fixture("sc-qsidtype-missing.txt")).unwrap_err();
    assert!(err.message.contains("not installed"), "{}", err.message);
    assert_eq!(err.offset, 0);
    let denied = parse_qsidtype("[SC] OpenService FAILED 5:\r\n\r\nAccess is denied.\r\n");
    assert!(denied.unwrap_err().message.contains("FAILED 5"));
    assert!(parse_qsidtype("SERVICE_SID_TYPE:  WEIRD").is_err());
    assert!(parse_qsidtype("hello").is_err());
    assert_eq!(SidType::from_registry(0), Some(SidType::None));
    assert_eq!(SidType::from_registry(1), Some(SidType::Unrestricted));
    assert_eq!(SidType::from_registry(3), Some(SidType::Restricted));
    assert_eq!(SidType::from_registry(2), None);
}

#[test]
fn convert_to_json_single_object_array_and_utf16() {
    let bytes = fixture_bytes("os.json");
    assert_eq!(&bytes[..2], &[0xFF, 0xFE], "PowerShell 5.1 `>` writes UTF-16LE");
    let os = parse_os(&decode(bytes).unwrap()).unwrap();
    assert_eq!(os.cs_name.as_deref(), Some("NPSVM01"));
    assert_eq!(os.build_number, Some(17763));
    assert_eq!(os.version.as_deref(), Some("10.0.17763"));
    assert!(os.caption.unwrap().contains("2019"));
    assert_eq!(parse_os(r#"{"buildnumber": 20348}"#).unwrap().build_number, Some(20348));
    assert!(parse_os(r#"{"BuildNumber": "x"}"#).is_err());
    assert!(parse_os("[]").is_err());

    let single = parse_objects(r#"{"Name": "NPAS"}"#).unwrap();
    assert_eq!(single[0].0, "");
    let array = parse_objects(r#"[{"Name": "NPAS"}, {"Name": "RDS-Gateway"}]"#).unwrap();
    let pointers: Vec<_> = array.iter().map(|(p, _)| p.as_str()).collect();
    assert_eq!(pointers, ["/0", "/1"]);
    let wrapped = parse_objects(r#"{"value": [{"Name": "NPAS"}], "Count": 1}"#).unwrap();
    assert_eq!(wrapped[0].0, "/value/0");

    let features = parse_features(&fixture("features.json")).unwrap();
    let names: Vec<_> = features.iter().map(|f| f.name.as_str()).collect();
    assert_eq!(names, ["NPAS", "RDS-Gateway"]);
    assert_eq!(features[1].pointer, "/1");
    let one = parse_features(r#"{"Name": "NPAS", "DisplayName": "x"}"#).unwrap();
    assert_eq!((one[0].name.as_str(), one[0].pointer.as_str()), ("NPAS", ""));
    let unfiltered = parse_features(r#"[{"Name":"NPAS","Installed":false}]"#).unwrap();
    assert!(unfiltered.is_empty());
    assert!(parse_features(r#"[{"DisplayName": "x"}]"#).is_err());
}

#[test]
fn json_errors_carry_offsets() {
    let text = "[\r\n    {\"Name\": \"NPAS\"},\r\n    {\"Name\": }\r\n]";
    let err = parse_objects(text).unwrap_err();
    assert_eq!(&text[err.offset..err.offset + 1], "}", "{}", err.message);
    assert!(parse_objects("[1]").unwrap_err().message.contains("/0"));
    assert!(parse_objects("\"s\"").is_err());
    let truncated = "{\"Name\": \"NP";
    assert!(parse_objects(truncated).unwrap_err().offset <= truncated.len());
}

#[test]
fn group_members() {
    let one = parse_group_members(&fixture("ras-and-ias-servers.json")).unwrap();
    assert_eq!(one.len(), 1);
    assert_eq!(one[0].sam_account_name.as_deref(), Some("NPSVM01$"));
    assert_eq!(one[0].object_class.as_deref(), Some("computer"));
    assert_eq!(one[0].name.as_deref(), Some("NPSVM01"));
    for empty in ["", " \r\n", "null", "[]"] {
        assert!(parse_group_members(empty).unwrap().is_empty(), "{empty:?}");
    }
}

#[test]
fn registered_server_text() {
    let text = fixture("nps-registeredserver.txt");
    let reg = parse_registered(&text);
    assert_eq!(reg.registered, Some(true));
    assert_eq!(&text[reg.span], "Status = Registered");
    let no = parse_registered("Server NPSVM01 is not registered in domain contoso.com.\r\n");
    assert_eq!(no.registered, Some(false));
    assert_eq!(
        parse_registered("NPSVM01 is registered in domain contoso.com").registered,
        Some(true)
    );
    assert_eq!(parse_registered("Status   =   NOT REGISTERED").registered, Some(false));
    assert_eq!(parse_registered("Ok.\r\n").registered, None);
    assert_eq!(parse_registered("").registered, None);
    let mixed = "A is registered in domain x\nB is not registered in domain y\n";
    assert_eq!(parse_registered(mixed).registered, None, "contradiction");
}
