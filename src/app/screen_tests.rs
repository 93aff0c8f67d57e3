//! The console's screens rendered from the showcase estate (snapshots at 80×24 and 160×48),
//! and `update` driven by keys and messages over them.

use insta::assert_snapshot;

use super::fixture;
use super::scenes::SCENES;
use crate::ui::testing::SIZES;

#[test]
fn every_scene_at_both_sizes() {
    let showcase = fixture::showcase();
    for scene in SCENES {
        for (width, height) in SIZES {
            let mut state = fixture::state(width, height);
            (scene.drive)(&mut state, &showcase);
            let text = fixture::text(&mut state);
            assert_snapshot!(format!("{}_{width}x{height}", scene.name), text);
        }
    }
}
