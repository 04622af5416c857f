use super::{fixture, fixture_bytes};
use crate::ingest::host::reg::{RegData, RegFile};
use crate::source::decode;

const MFA_AUTHN: &str = r"C:\Program Files\Microsoft\AzureMfa\Extensions\MfaNpsAuthnExt.dll";

#[test]
fn utf16_crlf_export_with_multiline_multi_sz() {
    let bytes = fixture_bytes("authsrv-parameters.reg");
    assert_eq!(&bytes[..2], &[0xFF, 0xFE], "fixture is UTF-16LE with BOM");
    let text = decode(bytes.as_slice()).unwrap();
    assert!(text.starts_with("Windows Registry Editor"), "BOM stripped");
    assert!(text.contains("\r\n"));
    let reg = RegFile::parse(&text).unwrap();
    let key = reg
        .key(r"HKLM\SYSTEM\CurrentControlSet\Services\AuthSrv\Parameters")
        .expect("short hive form");
    assert!(reg
        .key(r"hkey_local_machine\system\currentcontrolset\services\authsrv\parameters\")
        .is_some());
    let ext = key.value("extensiondlls").expect("case-insensitive value");
    assert_eq!(ext.data, RegData::MultiSz(vec![MFA_AUTHN.to_owned()]));
    // The span covers the whole logical line, continuation lines included.
    let snippet = &text[ext.span.clone()];
    assert!(snippet.starts_with("\"ExtensionDLLs\"=hex(7):"));
    assert!(snippet.ends_with("00,00,00,00"));
    assert!(snippet.lines().count() > 3);
    assert_eq!(&text[key.span.clone()], format!("[{}]", key.path));
    assert_eq!(
        key.value("AuthorizationDLLs").unwrap().data,
        RegData::MultiSz(vec![MFA_AUTHN.replace("Authn", "Authz")])
    );
}

#[test]
fn value_types_escapes_and_deletions() {
    let text = fixture("mixed-types.reg");
    let reg = RegFile::parse(&text).unwrap();
    let ts = reg
        .key(r"HKEY_LOCAL_MACHINE\SOFTWARE\Policies\Microsoft\Windows NT\Terminal Services")
        .unwrap();
    assert_eq!(ts.value("LicensingMode").unwrap().data, RegData::Dword(2));
    assert_eq!(
        ts.value("Note").unwrap().data,
        RegData::Sz(r#"quote " and backslash C:\Temp\"#.to_owned())
    );
    assert_eq!(ts.value("@").unwrap().data, RegData::Sz("default value".into()));
    assert_eq!(ts.value("").unwrap().name, "");
    assert_eq!(
        ts.value("ProfilePath").unwrap().data,
        RegData::ExpandSz(r"%SystemRoot%\Profiles".into())
    );
    assert_eq!(
        ts.value("InstallTime").unwrap().data,
        RegData::Qword(0x01D9_A1B2_C3D4_E5F6)
    );
    assert_eq!(
        ts.value("Blob").unwrap().data,
        RegData::Binary(vec![0xde, 0xad, 0xbe, 0xef])
    );
    assert!(ts.value("Obsolete").is_none(), "\"name\"=- deletes the value");
    assert_eq!(ts.values().count(), 7);
    let mfa = reg.key(r"HKLM\SOFTWARE\Microsoft\AzureMfa").unwrap();
    assert_eq!(
        mfa.value("REQUIRE_USER_MATCH").unwrap().data,
        RegData::Sz("FALSE".into())
    );
    assert!(reg.key(r"HKLM\SOFTWARE\Microsoft\AzureMfa\Stale").is_none());
    assert_eq!(reg.keys().count(), 2);
}

#[test]
fn other_types_and_repeated_keys() {
    let text = "REGEDIT4\n[HKEY_CURRENT_USER\\A]\n\"d\"=hex(4):0a,00,00,00\n\"n\"=hex(0):\n\
                \"s\"=hex(1):48,00,69,00,00,00\n[HKCU\\A]\n\"e\"=dword:ffffffff\n";
    let reg = RegFile::parse(text).unwrap();
    let a = reg.key(r"HKEY_CURRENT_USER\A").unwrap();
    assert_eq!(a.value("d").unwrap().data, RegData::Dword(10));
    assert_eq!(a.value("n").unwrap().data, RegData::Other { kind: 0, bytes: vec![] });
    assert_eq!(a.value("s").unwrap().data, RegData::Sz("Hi".into()));
    assert_eq!(a.value("e").unwrap().data, RegData::Dword(u32::MAX));
    assert_eq!(reg.keys().count(), 1, "a key seen twice is merged");
}

#[test]
fn missing_header_is_an_error_at_offset_0() {
    let err = RegFile::parse("\r\n[HKEY_LOCAL_MACHINE\\X]\r\n\"a\"=dword:1\r\n").unwrap_err();
    assert_eq!(err.offset, 0);
    assert!(err.message.contains("Windows Registry Editor"));
    assert_eq!(RegFile::parse("").unwrap_err().offset, 0);
}

#[test]
fn malformed_lines_point_at_their_line() {
    let head = "Windows Registry Editor Version 5.00\r\n\r\n[HKEY_LOCAL_MACHINE\\X]\r\n";
    for bad in [
        "\"a\"=dword:xyz",
        "\"a\"=dword:123456789",
        "\"a\"=hex(7):4",
        "\"a\"=hex(b):01,02",
        "\"a\"=hex(7):41",
        "\"a\"=\"unterminated",
        "\"a\"=\"x\" trailing",
        "\"a\" dword:1",
        "\"a\"=qword:1",
        "garbage",
        "[HKEY_LOCAL_MACHINE\\Y",
    ] {
        let text = format!("{head}{bad}\r\n");
        let err = RegFile::parse(&text).unwrap_err();
        assert_eq!(err.offset, head.len(), "{bad}: {}", err.message);
    }
    let cont = format!("{head}\"a\"=hex:01,\\");
    assert!(RegFile::parse(&cont).is_err(), "file ends inside a continuation");
    let orphan = "REGEDIT4\n\"a\"=dword:1\n";
    assert_eq!(RegFile::parse(orphan).unwrap_err().offset, 9);
}
