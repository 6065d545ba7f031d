//! Arbitrary bytes through the event-file reader and the summary value decoders: no panics,
//! no unbounded allocation, and termination in both corruption modes.
#![no_main]

use libfuzzer_sys::fuzz_target;
use tensile::summary::proto::event::What;
use tensile::summary::reader::{decode_graph, summary_data, EventFileReader, OnCorruption};

fn read(data: &[u8], mode: OnCorruption) {
    let mut r = EventFileReader::from_bytes("fuzz", data.to_vec()).on_corruption(mode);
    let mut plugins = std::collections::HashMap::new();
    for _ in 0..=data.len() {
        let event = match r.next_event() {
            Ok(Some(e)) => e,
            Ok(None) => return,
            Err(e) => {
                assert!(mode == OnCorruption::Stop, "Skip reported an error: {e}");
                return;
            }
        };
        match &event.what {
            Some(What::GraphDef(g)) => {
                let _ = decode_graph(g);
            }
            Some(What::Summary(s)) => {
                for v in &s.value {
                    if let Some(p) = tensile::summary::reader::plugin_name(v) {
                        plugins.insert(v.tag.clone(), p.to_string());
                    }
                    let _ = summary_data(v, plugins.get(&v.tag).map(String::as_str));
                }
            }
            _ => {}
        }
    }
    panic!("more events than bytes");
}

fuzz_target!(|data: &[u8]| {
    read(data, OnCorruption::Stop);
    read(data, OnCorruption::Skip);
});
