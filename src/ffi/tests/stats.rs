//! Stats structs, the JSON snapshot, the log callback.

use super::*;
use crate::ffi::logging::*;
use crate::ffi::stats::*;

fn c_text(field: &[c_char]) -> String {
    let bytes: Vec<u8> = field
        .iter()
        .take_while(|&&c| c != 0)
        .map(|&c| c as u8)
        .collect();
    String::from_utf8(bytes).unwrap()
}

/// Real sequence headers (made by ffmpeg: 320x240 High, AAC LC 44.1 kHz).
const REAL_AVC_SH: &[u8] = include_bytes!("../../codec/testdata/avc_high_320x240.bin");
const REAL_AAC_SH: &[u8] = include_bytes!("../../codec/testdata/aac_lc_44100_stereo.bin");

fn push_real(p: *mut livehub_publisher) {
    assert_eq!(push(p, LIVEHUB_TAG_AUDIO, 0, REAL_AAC_SH), LIVEHUB_OK);
    assert_eq!(push(p, LIVEHUB_TAG_VIDEO, 0, REAL_AVC_SH), LIVEHUB_OK);
    assert_eq!(push(p, LIVEHUB_TAG_VIDEO, 0, AVC_KEY), LIVEHUB_OK);
    assert_eq!(push(p, LIVEHUB_TAG_AUDIO, 20, AAC_RAW), LIVEHUB_OK);
}

#[test]
fn stream_and_player_stats_fill_what_fits() {
    let hub = new_hub();
    let s = get_stream(hub, "live/stats");
    let pl = play(s);
    let p = publish(s);
    push_real(p);
    // SAFETY: all-zero bytes are a valid value of this plain C struct.
    let mut st: livehub_stream_stats = unsafe { std::mem::zeroed() };
    st.struct_size = std::mem::size_of::<livehub_stream_stats>() as u32;
    assert_eq!(livehub_stream_get_stats(s, &mut st), LIVEHUB_OK);
    assert_eq!(st.publisher_state, LIVEHUB_PUBLISHER_ACTIVE);
    assert_eq!(st.publish_count, 1);
    assert!(st.tags_in > 0 && st.bytes_in > 0);
    assert_eq!((st.players, st.players_total), (1, 1));
    assert_eq!(c_text(&st.video_codec), "h264");
    assert_eq!(c_text(&st.video_profile), "High");
    assert_eq!((st.width, st.height), (320, 240));
    assert_eq!(c_text(&st.audio_codec), "aac");
    assert_eq!(c_text(&st.audio_profile), "LC");
    assert_eq!((st.sample_rate, st.channels), (44_100, 2));
    assert_eq!(
        st.struct_size as usize,
        std::mem::size_of::<livehub_stream_stats>()
    );

    // An older caller's shorter struct: nothing past it is written.
    let mut short = [u64::from_ne_bytes([0xEE; 8]); 8];
    short[0] = u64::from_ne_bytes([16, 0, 0, 0, 0xEE, 0xEE, 0xEE, 0xEE]);
    assert_eq!(
        livehub_stream_get_stats(s, short.as_mut_ptr().cast()),
        LIVEHUB_OK
    );
    let bytes: Vec<u8> = short.iter().flat_map(|w| w.to_ne_bytes()).collect();
    assert_eq!(&bytes[..4], &16u32.to_ne_bytes());
    assert_eq!(&bytes[4..8], &LIVEHUB_PUBLISHER_ACTIVE.to_ne_bytes());
    assert!(
        bytes[16..].iter().all(|&b| b == 0xEE),
        "wrote past struct_size"
    );
    let mut tiny = [0u32; 2];
    assert_eq!(
        livehub_stream_get_stats(s, tiny.as_mut_ptr().cast()),
        LIVEHUB_ERR_INVALID_ARG
    );

    // SAFETY: all-zero bytes are a valid value of this plain C struct.
    let mut ps: livehub_player_stats = unsafe { std::mem::zeroed() };
    ps.struct_size = std::mem::size_of::<livehub_player_stats>() as u32;
    while read(pl).is_ok() {}
    assert_eq!(livehub_player_get_stats(pl, &mut ps), LIVEHUB_OK);
    assert_eq!(ps.state, LIVEHUB_PLAYER_LIVE);
    assert_eq!(ps.tags_out, st.tags_in);
    assert_eq!(ps.lag_ms, 0);
    assert_eq!(
        livehub_player_get_stats(null_mut(), &mut ps),
        LIVEHUB_ERR_NULL
    );
    assert_eq!(livehub_stream_get_stats(null(), &mut st), LIVEHUB_ERR_NULL);

    livehub_publisher_release(p);
    livehub_player_release(pl);
    livehub_stream_release(s);
    livehub_hub_release(hub);
}

#[test]
fn stats_json_reports_the_needed_size_and_parses() {
    let hub = new_hub();
    let s = get_stream(hub, "live/json");
    let p = publish(s);
    push_real(p);
    let mut len = 0usize;
    assert_eq!(
        livehub_hub_stats_json(hub, null_mut(), 0, &mut len),
        LIVEHUB_ERR_BUFFER
    );
    assert!(len > 10);
    let mut small = vec![0 as c_char; len]; // no room for the NUL
    let mut again = 0usize;
    assert_eq!(
        livehub_hub_stats_json(hub, small.as_mut_ptr(), len, &mut again),
        LIVEHUB_ERR_BUFFER
    );
    assert_eq!(again, len);
    assert!(
        small.iter().all(|&c| c == 0),
        "buffer untouched on ERR_BUFFER"
    );
    let mut buf = vec![0x7f as c_char; len + 1];
    let mut written = 0usize;
    assert_eq!(
        livehub_hub_stats_json(hub, buf.as_mut_ptr(), buf.len(), &mut written),
        LIVEHUB_OK
    );
    assert_eq!(written, len);
    let json = text(buf.as_ptr());
    let v: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert_eq!(v["streams"][0]["key"], "live/json");
    assert_eq!(v["streams"][0]["video"]["codec"], "h264");
    assert_eq!(
        livehub_hub_stats_json(null_mut(), buf.as_mut_ptr(), 1, &mut written),
        LIVEHUB_ERR_NULL
    );
    assert_eq!(
        livehub_hub_stats_json(hub, null_mut(), 5, &mut written),
        LIVEHUB_ERR_NULL
    );
    livehub_publisher_release(p);
    livehub_stream_release(s);
    livehub_hub_release(hub);
}

static LOG_LINES: std::sync::Mutex<Vec<(u32, String)>> = std::sync::Mutex::new(Vec::new());

extern "C" fn log_to_vec(userdata: *mut c_void, level: u32, message: *const c_char) {
    assert_eq!(userdata as usize, 0x5eed);
    LOG_LINES.lock().unwrap().push((level, text(message)));
}

#[test]
fn log_callback_receives_stream_events() {
    assert_eq!(
        livehub_set_log_callback(9, Some(log_to_vec), null_mut()),
        LIVEHUB_ERR_INVALID_ARG
    );
    assert_eq!(
        livehub_set_log_callback(LIVEHUB_LOG_INFO, Some(log_to_vec), 0x5eed as *mut c_void),
        LIVEHUB_OK
    );
    let hub = new_hub();
    let s = get_stream(hub, "live/ffi-log");
    let p = publish(s);
    livehub_publisher_release(p);
    assert_eq!(
        livehub_hub_remove(hub, key("live/ffi-log").as_ptr()),
        LIVEHUB_OK
    );
    assert_eq!(
        livehub_set_log_callback(LIVEHUB_LOG_OFF, None, null_mut()),
        LIVEHUB_OK
    );
    let lines = LOG_LINES.lock().unwrap();
    let ours: Vec<_> = lines
        .iter()
        .filter(|(_, m)| m.contains("live/ffi-log"))
        .collect();
    assert!(
        ours.iter()
            .any(|(l, m)| *l == LIVEHUB_LOG_INFO && m.contains("created")),
        "{ours:?}"
    );
    assert!(ours.iter().any(|(_, m)| m.contains("closed")), "{ours:?}");
    livehub_stream_release(s);
    livehub_hub_release(hub);
}
