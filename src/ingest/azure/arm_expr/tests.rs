use super::*;
use crate::ingest::azure::arm_template::evaluate_in;
use serde_json::{json, Map};

fn template() -> Value {
    json!({
        "$schema": "https://schema.management.azure.com/schemas/2019-04-01/deploymentTemplate.json#",
        "parameters": {
            "networkSecurityGroups_nsg_name": {"defaultValue": "nsg1", "type": "String"},
            "vnet": {"defaultValue": "vnet1", "type": "String"},
            "noDefault": {"type": "String"},
            "password": {"type": "securestring", "defaultValue": "canary-default"},
            "count": {"defaultValue": 3, "type": "Int"},
            "fromVariable": {"defaultValue": "[variables('prefix')]", "type": "String"},
            "tags": {"defaultValue": {"env": "prod", "n": [1]}, "type": "Object"},
            "exprTags": {"defaultValue": {"env": ["[concat('p', 'rod')]"]}, "type": "Object"},
            "selfRef": {"defaultValue": "[parameters('selfRef')]", "type": "String"},
            "broken": {"defaultValue": "[concat('a']", "type": "String"}
        },
        "variables": {
            "prefix": "rds",
            "subnetId": "[resourceId('Microsoft.Network/virtualNetworks/subnets', parameters('vnet'), 'workloads')]",
            "a": "[variables('b')]",
            "b": "[variables('a')]",
            "literal": "[[not an expression]",
            "list": ["rds", 1],
            "exprList": [1, "[[escaped]"],
            "vnet": {"name": "vnet", "subnets": [{"name": "[concat(variables('prefix'), '-sub')]"}], "nsgName": "rdsNsg"},
            "storage": "[concat('st', uniqueString(resourceGroup().id))]",
            "disks": {"copy": [{"name": "dataDisks", "count": 2, "input": {"lun": "[copyIndex('dataDisks')]"}}]},
            "copy": [{"name": "names", "count": 3, "input": "[concat('vm-', copyIndex('names', 1))]"}]
        }
    })
}

fn eval(s: &str) -> Evaluated {
    evaluate_in(&template(), s).expect("valid syntax")
}

fn value(s: &str) -> Value {
    match eval(s) {
        Evaluated::Value(v) => v,
        Evaluated::Unresolved(r) => panic!("{s} unresolved: {r}"),
    }
}

fn unresolved(s: &str) -> String {
    match eval(s) {
        Evaluated::Unresolved(r) => r,
        Evaluated::Value(v) => panic!("{s} resolved to {v}"),
    }
}

/// The text of a symbolic result.
fn symbolic(s: &str) -> String {
    let v = value(s);
    symbolic_text(&v)
        .unwrap_or_else(|| panic!("{s} is not symbolic: {v}"))
        .into_owned()
}

fn syntax_error(s: &str) -> ExprError {
    evaluate_in(&template(), s).expect_err("syntax error")
}

#[test]
fn recognises_expressions_and_escapes() {
    assert!(is_expression("[parameters('x')]"));
    assert!(!is_expression("[[parameters('x')]"));
    assert!(!is_expression("plain"));
    assert!(!is_expression("[no closing bracket"));
    assert!(!is_expression("["));
    assert_eq!(value("TCP"), json!("TCP"));
    assert_eq!(value("[[x]"), json!("[x]"));
    assert_eq!(value("[[x"), json!("[[x"));
}

#[test]
fn literals_and_quote_escape() {
    assert_eq!(value("['it''s']"), json!("it's"));
    assert_eq!(value("['']"), json!(""));
    assert_eq!(value("[ 42 ]"), json!(42));
    assert_eq!(value("[-7]"), json!(-7));
    assert_eq!(value("['ünï']"), json!("ünï"));
}

#[test]
fn parameters_use_default_value() {
    assert_eq!(value("[parameters('networkSecurityGroups_nsg_name')]"), json!("nsg1"));
    assert_eq!(value("[parameters('count')]"), json!(3));
    // ARM names and functions are case-insensitive.
    assert_eq!(value("[PARAMETERS('VNET')]"), json!("vnet1"));
    assert_eq!(value("[parameters('fromVariable')]"), json!("rds"));
    assert_eq!(value("[parameters('tags')]"), json!({"env": "prod", "n": [1]}));
    assert_eq!(value("[parameters('exprTags')]"), json!({"env": ["prod"]}));
}

#[test]
fn unknown_parameters_are_symbolic_and_secure_ones_never_evaluated() {
    assert_eq!(symbolic("[parameters('noDefault')]"), "{parameters('noDefault')}");
    assert_eq!(
        symbolic("[parameters( \"noDefault\" )]".replace('"', "'").as_str()),
        "{parameters('noDefault')}"
    );
    assert_eq!(symbolic("[parameters('password')]"), "{parameters('password')}");
    assert!(unresolved("[parameters('nope')]").contains("not defined"));
    assert!(unresolved("[parameters('broken')]").contains("invalid template expression"));
    let got = evaluate_in(&json!({}), "[variables('x')]").unwrap();
    assert!(matches!(got, Evaluated::Unresolved(r) if r.contains("not defined")));
}

#[test]
fn variables_resolve_recursively_with_member_access_and_indexing() {
    assert_eq!(value("[variables('prefix')]"), json!("rds"));
    assert_eq!(
        value("[variables('subnetId')]"),
        json!("/subscriptions/{subscriptionId}/resourceGroups/{resourceGroup}/providers/Microsoft.Network/virtualNetworks/vnet1/subnets/workloads")
    );
    assert_eq!(value("[variables('literal')]"), json!("[not an expression]"));
    assert_eq!(value("[variables('list')]"), json!(["rds", 1]));
    assert_eq!(value("[variables('exprList')]"), json!([1, "[escaped]"]));
    assert_eq!(value("[variables('vnet').nsgName]"), json!("rdsNsg"));
    assert_eq!(value("[variables('vnet').subnets[0].name]"), json!("rds-sub"));
    assert_eq!(value("[variables('VNET')['nsgName']]"), json!("rdsNsg"));
    assert!(unresolved("[variables('vnet').subnets[3]]").contains("out of range"));
    assert!(unresolved("[variables('vnet').missing]").contains("no property 'missing'"));
}

#[test]
fn variable_copy_loops() {
    assert_eq!(value("[variables('names')]"), json!(["vm-1", "vm-2", "vm-3"]));
    assert_eq!(value("[variables('disks').dataDisks]"), json!([{"lun": 0}, {"lun": 1}]));
}

#[test]
fn cycles_are_unresolved() {
    assert!(unresolved("[variables('a')]").contains("circular"));
    assert!(unresolved("[parameters('selfRef')]").contains("circular"));
}

#[test]
fn long_reference_chains_stop() {
    let mut vars = Map::new();
    for i in 0..100 {
        vars.insert(format!("v{i}"), json!(format!("[variables('v{}')]", i + 1)));
    }
    vars.insert("v100".into(), json!("end"));
    let t = json!({ "variables": vars });
    let got = evaluate_in(&t, "[variables('v0')]").unwrap();
    assert!(matches!(got, Evaluated::Unresolved(r) if r.contains("too deeply")));
    let short = evaluate_in(&t, "[variables('v90')]").unwrap();
    assert_eq!(short, Evaluated::Value(json!("end")));
}

#[test]
fn unknowable_functions_are_symbolic_with_canonical_text() {
    assert_eq!(
        symbolic("[uniquestring( resourceGroup().id )]"),
        "{uniqueString(resourceGroup().id)}"
    );
    assert_eq!(
        symbolic("[variables('storage')]"),
        "st{uniqueString(resourceGroup().id)}"
    );
    assert_eq!(
        symbolic("[toLower(variables('storage'))]"),
        "st{uniquestring(resourcegroup().id)}"
    );
    assert_eq!(
        symbolic("[reference('pip').dnsSettings.fqdn]"),
        "{reference('pip').dnsSettings.fqdn}"
    );
    assert_eq!(
        symbolic("[guid(subscription().id, 'x')]"),
        "{guid(subscription().id, 'x')}"
    );
    assert_eq!(
        symbolic("[listKeys('st', '2021-01-01').keys[0].value]"),
        "{listKeys('st', '2021-01-01').keys[0].value}"
    );
    assert_eq!(symbolic("[utils.helper('x')]"), "{utils.helper('x')}");
    assert_eq!(symbolic("[resourceGroup().location]"), "{resourceGroup().location}");
    assert_eq!(
        symbolic("[equals(parameters('noDefault'), 'a')]"),
        "{equals(parameters('noDefault'), 'a')}"
    );
    assert_eq!(
        symbolic("[if(equals(parameters('noDefault'), 'a'), 1, 2)]"),
        "{if(equals(parameters('noDefault'), 'a'), 1, 2)}"
    );
}

#[test]
fn the_unknown_subscription_and_group_are_their_placeholders() {
    assert_eq!(symbolic("[resourceGroup().name]"), "{resourceGroup}");
    assert_eq!(
        symbolic("[resourceGroup().id]"),
        "/subscriptions/{subscriptionId}/resourceGroups/{resourceGroup}"
    );
    assert_eq!(symbolic("[subscription().subscriptionId]"), "{subscriptionId}");
    assert_eq!(symbolic("[subscription().id]"), "/subscriptions/{subscriptionId}");
    assert_eq!(
        symbolic("[take(resourceGroup().name, 3)]"),
        "{take(resourceGroup().name, 3)}"
    );
    // IDs concatenated by hand equal those resourceId() builds.
    assert_eq!(
        symbolic("[concat('/subscriptions/', subscription().subscriptionId, '/resourceGroups/', resourceGroup().name, '/providers/Microsoft.Network/virtualNetworks/v')]"),
        value("[resourceId('Microsoft.Network/virtualNetworks', 'v')]")
    );
}

#[test]
fn ids_around_unknown_names_join() {
    let nsg = "[resourceId('Microsoft.Network/networkSecurityGroups', parameters('noDefault'))]";
    assert_eq!(
        symbolic(nsg),
        "/subscriptions/{subscriptionId}/resourceGroups/{resourceGroup}/providers/Microsoft.Network/networkSecurityGroups/{parameters('noDefault')}"
    );
    assert_eq!(
        symbolic(nsg),
        symbolic(&nsg.replace("parameters('noDefault')", "PARAMETERS( 'noDefault' )"))
    );
}

#[test]
fn concat_joins_strings_and_arrays() {
    assert_eq!(
        value("[concat(parameters('networkSecurityGroups_nsg_name'), '/RDP')]"),
        json!("nsg1/RDP")
    );
    assert_eq!(value("[concat('a', concat('b', 'c'))]"), json!("abc"));
    assert_eq!(value("[concat('a', 1)]"), json!("a1"));
    // Documented examples (template-functions-array, concat).
    assert_eq!(
        value("[concat(createArray('1-1', '1-2', '1-3'), createArray('2-1', '2-2', '2-3'))]"),
        json!(["1-1", "1-2", "1-3", "2-1", "2-2", "2-3"])
    );
    assert!(value("[concat('prefix', '-', uniqueString('x'))]")
        .get(PARTIAL)
        .is_some());
    assert!(unresolved("[concat('a', createObject())]").contains("non-string"));
    assert!(unresolved("[concat()]").contains("at least one"));
}

/// The examples of the ARM template function reference (inputs and documented outputs).
#[test]
fn documented_examples() {
    let cases: &[(&str, Value)] = &[
        (
            "[format('{0}, {1}. Formatted number: {2:N0}', 'Hello', 'User', 8175133)]",
            json!("Hello, User. Formatted number: 8,175,133"),
        ),
        ("[format('{0:D3}-{{x}}', 7)]", json!("007-{x}")),
        ("[toLower('One Two Three')]", json!("one two three")),
        ("[toUpper('One Two Three')]", json!("ONE TWO THREE")),
        ("[replace('123-123-1234', '-', '')]", json!("1231231234")),
        ("[split('one,two,three', ',')]", json!(["one", "two", "three"])),
        (
            "[split('one;two,three', createArray(',', ';'))]",
            json!(["one", "two", "three"]),
        ),
        ("[substring('hello there', 6, 3)]", json!("the")),
        (
            "[string(createObject('valueA', 10, 'valueB', 'Example Text'))]",
            json!("{\"valueA\":10,\"valueB\":\"Example Text\"}"),
        ),
        ("[string(createArray('a', 'b', 'c'))]", json!("[\"a\",\"b\",\"c\"]")),
        ("[string(5)]", json!("5")),
        ("[int('4')]", json!(4)),
        ("[length('One Two Three')]", json!(13)),
        ("[length(createArray('a', 'b', 'c'))]", json!(3)),
        ("[padLeft('123', 10, '0')]", json!("0000000123")),
        ("[trim('    one two three   ')]", json!("one two three")),
        ("[startsWith('abcdef', 'AB')]", json!(true)),
        ("[endsWith('abcdef', 'g')]", json!(false)),
        ("[if(equals('a', 'a'), 'yes', 'no')]", json!("yes")),
        ("[if(true(), 'only', fail('never evaluated'))]", json!("only")),
        ("[equals(1, 1)]", json!(true)),
        ("[equals('a', 'A')]", json!(false)),
        ("[equals(createArray('a', 'b'), createArray('a', 'b'))]", json!(true)),
        ("[not(equals(1, 2))]", json!(true)),
        ("[and(true(), false())]", json!(false)),
        ("[or(true(), false())]", json!(true)),
        ("[greater(10, 5)]", json!(true)),
        ("[greater('A', 'a')]", json!(false)),
        ("[greaterOrEquals(5, 5)]", json!(true)),
        ("[less(10, 5)]", json!(false)),
        ("[lessOrEquals('a', 'b')]", json!(true)),
        (
            "[union(createObject('one', 'a', 'two', 'b', 'three', 'c1'), createObject('three', 'c2', 'four', 'd'))]",
            json!({"one": "a", "two": "b", "three": "c2", "four": "d"}),
        ),
        (
            "[union(createArray('one', 'two', 'three'), createArray('three', 'four'))]",
            json!(["one", "two", "three", "four"]),
        ),
        (
            "[intersection(createArray('one', 'two', 'three'), createArray('two', 'three'))]",
            json!(["two", "three"]),
        ),
        ("[first('One Two Three')]", json!("O")),
        ("[first(createArray('one', 'two', 'three'))]", json!("one")),
        ("[last(createArray('one', 'two', 'three'))]", json!("three")),
        ("[take(createArray('one', 'two', 'three'), 2)]", json!(["one", "two"])),
        ("[take('One Two Three', 2)]", json!("On")),
        ("[skip(createArray('one', 'two', 'three'), 2)]", json!(["three"])),
        ("[skip('One Two Three', 4)]", json!("Two Three")),
        ("[contains('OneTwoThree', 'e')]", json!(true)),
        ("[contains('OneTwoThree', 'z')]", json!(false)),
        ("[contains(createObject('one', 'a'), 'ONE')]", json!(true)),
        ("[contains(createArray('one', 'two'), 'two')]", json!(true)),
        ("[coalesce(json('null'), json('null'), 'default')]", json!("default")),
        ("[empty('')]", json!(true)),
        ("[empty(createArray())]", json!(true)),
        ("[empty(createObject())]", json!(true)),
        ("[empty('x')]", json!(false)),
        ("[array('efgh')]", json!(["efgh"])),
        ("[range(1, 3)]", json!([1, 2, 3])),
        ("[add(5, 3)]", json!(8)),
        ("[sub(7, 3)]", json!(4)),
        ("[mul(5, 3)]", json!(15)),
        ("[div(8, 3)]", json!(2)),
        ("[mod(7, 3)]", json!(1)),
        ("[min(createArray(0, 3, 2, 5, 4))]", json!(0)),
        ("[max(0, 3, 2, 5, 4)]", json!(5)),
        (
            "[uri('http://contoso.com/resources/', 'nested/azuredeploy.json')]",
            json!("http://contoso.com/resources/nested/azuredeploy.json"),
        ),
        (
            "[uri('http://contoso.com/resources/azuredeploy.json', 'nested/azuredeploy.json')]",
            json!("http://contoso.com/resources/nested/azuredeploy.json"),
        ),
        (
            "[uri('http://contoso.com', 'nested/azuredeploy.json')]",
            json!("http://contoso.com/nested/azuredeploy.json"),
        ),
        ("[deployment().name]", json!("azuredeploy")),
        (
            "[subscriptionResourceId('Microsoft.Authorization/roleDefinitions', 'acdd72a7')]",
            json!("/subscriptions/{subscriptionId}/providers/Microsoft.Authorization/roleDefinitions/acdd72a7"),
        ),
        (
            "[subscriptionResourceId('sub1', 'Microsoft.Authorization/roleDefinitions', 'r')]",
            json!("/subscriptions/sub1/providers/Microsoft.Authorization/roleDefinitions/r"),
        ),
        (
            "[tenantResourceId('Microsoft.Authorization/policyDefinitions', 'p')]",
            json!("/providers/Microsoft.Authorization/policyDefinitions/p"),
        ),
        // The group's ID holds the unknown subscription and group: the result is text around them.
        (
            "[extensionResourceId(resourceGroup().id, 'Microsoft.Authorization/locks', 'lock')]",
            json!({PARTIAL: "/subscriptions/{subscriptionId}/resourceGroups/{resourceGroup}/providers/Microsoft.Authorization/locks/lock"}),
        ),
    ];
    for (s, expected) in cases {
        assert_eq!(&value(s), expected, "{s}");
    }
}

#[test]
fn impossible_calls_are_unresolved() {
    assert!(unresolved("[substring('abc', 2, 5)]").contains("outside the string"));
    assert!(unresolved("[if('yes', 1, 2)]").contains("not a boolean"));
    assert!(unresolved("[format('{1}', 'a')]").contains("missing argument"));
    assert!(unresolved("[div(1, 0)]").contains("has no value"));
    assert!(unresolved("[int('x')]").contains("int()"));
}

#[test]
fn resource_id_interleaves_types_and_names() {
    assert_eq!(
        value("[resourceId('Microsoft.Network/virtualNetworks/subnets', 'vnet', 'sub')]"),
        json!("/subscriptions/{subscriptionId}/resourceGroups/{resourceGroup}/providers/Microsoft.Network/virtualNetworks/vnet/subnets/sub")
    );
    assert_eq!(
        value("[resourceId('Microsoft.Network/publicIPAddresses', parameters('vnet'))]"),
        json!("/subscriptions/{subscriptionId}/resourceGroups/{resourceGroup}/providers/Microsoft.Network/publicIPAddresses/vnet1")
    );
}

#[test]
fn resource_id_leading_scope_arguments() {
    assert_eq!(
        value("[resourceId('rg2', 'Microsoft.Network/publicIPAddresses', 'pip')]"),
        json!("/subscriptions/{subscriptionId}/resourceGroups/rg2/providers/Microsoft.Network/publicIPAddresses/pip")
    );
    assert_eq!(
        value("[resourceId('sub1', 'rg2', 'Microsoft.Network/publicIPAddresses', 'pip')]"),
        json!("/subscriptions/sub1/resourceGroups/rg2/providers/Microsoft.Network/publicIPAddresses/pip")
    );
    assert!(unresolved("[resourceId('x', 's', 'g', 'Microsoft.Network/publicIPAddresses', 'p')]").contains("too many"));
}

#[test]
fn resource_id_rejects_mismatches() {
    assert!(
        unresolved("[resourceId('Microsoft.Network/virtualNetworks/subnets', 'vnet')]")
            .contains("needs 2 name(s), got 1")
    );
    assert!(
        unresolved("[resourceId('Microsoft.Network/virtualNetworks', 'a', 'b')]").contains("needs 1 name(s), got 2")
    );
    assert!(unresolved("[resourceId('vnet', 'sub')]").contains("no resource type"));
    assert!(unresolved("[resourceId('/virtualNetworks', 'a')]").contains("invalid resource type"));
    assert!(unresolved("[resourceId('Microsoft.Network//x', 'a', 'b')]").contains("invalid resource type"));
    assert!(unresolved("[resourceId('Microsoft.Network/virtualNetworks', '')]").contains("invalid resource name"));
    assert!(unresolved("[resourceId('Microsoft.Network/virtualNetworks', 'a/b')]").contains("invalid resource name"));
    assert!(unresolved("[resourceId('', 'Microsoft.Network/virtualNetworks', 'a')]").contains("empty"));
    assert!(unresolved("[resourceId('Microsoft.Network/virtualNetworks', 3)]").contains("not a string"));
}

#[test]
fn syntax_errors_carry_byte_offsets() {
    let cases: &[(&str, usize, &str)] = &[
        ("[concat('a']", 11, "missing ')'"),
        ("[concat('a))]", 8, "unterminated string"),
        ("[concat('a'))]", 12, "unexpected character ')'"),
        ("[]", 1, "unexpected end"),
        ("[concat 'a']", 8, "expected '('"),
        ("[concat('a' 'b')]", 12, "unexpected character '''"),
        ("[99999999999999999999]", 1, "out of range"),
        ("[-]", 2, "expected digits"),
        ("[resourceGroup().]", 17, "property name"),
        ("[parameters('tags')['env']", 25, "missing ']'"),
        ("[#]", 1, "unexpected character '#'"),
        ("[concat('é', ü)]", 14, "unexpected character 'ü'"),
    ];
    for (s, offset, message) in cases {
        let err = syntax_error(s);
        assert_eq!(err.offset, *offset, "{s}: {err}");
        assert!(err.message.contains(message), "{s}: {err}");
    }
}

#[test]
fn error_display_names_offset() {
    let err = syntax_error("[#]");
    assert_eq!(
        err.to_string(),
        "invalid template expression at offset 1: unexpected character '#'"
    );
}

#[test]
fn deep_nesting_is_an_error_not_a_crash() {
    let deep = format!("[{}'a'{}]", "concat(".repeat(100), ")".repeat(100));
    assert!(syntax_error(&deep).message.contains("too deeply"));
    let index = format!("[{}0{}]", "parameters('x')[".repeat(100), "]".repeat(100));
    assert!(syntax_error(&index).message.contains("too deeply"));
    let fine = format!("[{}'a'{}]", "concat(".repeat(20), ")".repeat(20));
    assert_eq!(value(&fine), json!("a"));
}

#[test]
fn crate_resource_id_helper() {
    let d = Deployment {
        subscription: SUBSCRIPTION_PLACEHOLDER.to_owned(),
        group: "rg".to_owned(),
        name: "d".to_owned(),
    };
    assert_eq!(
        resource_id(&d, "Microsoft.Network/networkSecurityGroups/securityRules", &["nsg1", "rdp"]).unwrap(),
        "/subscriptions/{subscriptionId}/resourceGroups/rg/providers/Microsoft.Network/networkSecurityGroups/nsg1/securityRules/rdp"
    );
    assert!(resource_id(&d, "securityRules", &["rdp"]).is_err());
}

#[test]
fn shared_references_are_evaluated_once() {
    // Each level refers to the previous one twice: without memoisation this is 2^60 evaluations.
    let t = doubling_chain("");
    let got = evaluate_in(&t, "[variables('v60')]").unwrap();
    assert_eq!(got, Evaluated::Value(json!("")));
}

#[test]
fn concat_results_are_bounded() {
    let t = doubling_chain("ab");
    let got = evaluate_in(&t, "[variables('v60')]").unwrap();
    assert!(matches!(got, Evaluated::Unresolved(r) if r.contains("longer than")));
    let small = evaluate_in(&t, "[variables('v3')]").unwrap();
    assert_eq!(small, Evaluated::Value(json!("ab".repeat(8))));
}

fn doubling_chain(seed: &str) -> Value {
    let mut vars = Map::new();
    vars.insert("v0".into(), json!(seed));
    for i in 1..=60 {
        let prev = format!("variables('v{}')", i - 1);
        vars.insert(format!("v{i}"), json!(format!("[concat({prev}, {prev})]")));
    }
    json!({ "variables": vars })
}

/// Regression (cargo fuzz, target arm_expr): strings that are not bracketed expressions are errors, not
/// panics.
#[test]
fn parsing_a_string_that_is_not_an_expression_is_an_error() {
    for s in ["", "[", "]", "x", "[[x]"] {
        assert!(parse(s).is_err(), "{s:?}");
    }
    assert!(parse("[x]").is_err() && parse("[concat('a')]").is_ok());
}
