//! The attribute-name interner used by graph deserialization is capped (its own process, since
//! filling the table would starve other tests).

use tensile::graph::serial::{intern_attr_name, MAX_ATTR_NAMES};
use tensile::ErrorKind;

#[test]
fn many_distinct_attribute_names_hit_the_interning_cap() {
    let mut last = None;
    for i in 0..=MAX_ATTR_NAMES {
        match intern_attr_name(&format!("cap_test_{i}")) {
            Ok(s) => assert_eq!(s, format!("cap_test_{i}")),
            Err(e) => {
                last = Some(e);
                break;
            }
        }
    }
    let e = last.expect("the interner has a cap");
    assert_eq!(e.kind, ErrorKind::ResourceExhausted);
    assert!(e.message.contains("too many distinct attribute names"), "{e}");
    // Names seen before still resolve, to the same static string.
    let a = intern_attr_name("cap_test_0").unwrap();
    let b = intern_attr_name("cap_test_0").unwrap();
    assert!(std::ptr::eq(a, b));
}
