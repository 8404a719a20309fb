//! `livehub_result`: the fixed codes, their descriptions, the version, the panic boundary.

use super::*;

#[test]
fn result_codes_have_their_fixed_values() {
    let codes = [
        LIVEHUB_OK,
        LIVEHUB_AGAIN,
        LIVEHUB_EOF,
        LIVEHUB_TIMEOUT,
        LIVEHUB_ERR_NULL,
        LIVEHUB_ERR_INVALID_ARG,
        LIVEHUB_ERR_BUSY,
        LIVEHUB_ERR_NOT_FOUND,
        LIVEHUB_ERR_CLOSED,
        LIVEHUB_ERR_FLV,
        LIVEHUB_ERR_TOO_LARGE,
        LIVEHUB_ERR_BUFFER,
        LIVEHUB_ERR_EXPIRED,
        LIVEHUB_ERR_PANIC,
    ];
    for (i, code) in codes.iter().enumerate() {
        assert_eq!(*code as usize, i);
    }
}

#[test]
fn result_str_describes_every_code() {
    let expected = [
        (LIVEHUB_OK, "ok"),
        (LIVEHUB_AGAIN, "no data yet, try again"),
        (LIVEHUB_EOF, "end of stream"),
        (LIVEHUB_TIMEOUT, "timed out"),
        (LIVEHUB_ERR_NULL, "required pointer argument is NULL"),
        (LIVEHUB_ERR_INVALID_ARG, "invalid argument"),
        (LIVEHUB_ERR_BUSY, "stream already has a publisher"),
        (LIVEHUB_ERR_NOT_FOUND, "stream not found"),
        (LIVEHUB_ERR_CLOSED, "stream or publisher closed"),
        (LIVEHUB_ERR_FLV, "malformed FLV data"),
        (LIVEHUB_ERR_TOO_LARGE, "tag larger than max_tag_size"),
        (LIVEHUB_ERR_BUFFER, "buffer too small"),
        (LIVEHUB_ERR_EXPIRED, "player expired after not reading"),
        (LIVEHUB_ERR_PANIC, "internal panic caught by livehub"),
        (LIVEHUB_ERR_FLV_REJECTED, "FLV byte stream rejected"),
    ];
    for (code, s) in expected {
        assert_eq!(text(livehub_result_str(code)), s);
    }
    for unknown in [16, 100, 0x8000_0000, u32::MAX] {
        assert_eq!(text(livehub_result_str(unknown)), "unknown result");
    }
}

#[test]
fn core_errors_map_to_codes_with_the_core_wording() {
    let all = [
        (Error::Again, LIVEHUB_AGAIN),
        (Error::Eof, LIVEHUB_EOF),
        (Error::Timeout, LIVEHUB_TIMEOUT),
        (Error::InvalidArg, LIVEHUB_ERR_INVALID_ARG),
        (Error::Busy, LIVEHUB_ERR_BUSY),
        (Error::NotFound, LIVEHUB_ERR_NOT_FOUND),
        (Error::Closed, LIVEHUB_ERR_CLOSED),
        (Error::Flv, LIVEHUB_ERR_FLV),
        (Error::TooLarge, LIVEHUB_ERR_TOO_LARGE),
        (Error::Buffer, LIVEHUB_ERR_BUFFER),
        (Error::Expired, LIVEHUB_ERR_EXPIRED),
        (Error::FlvRejected, LIVEHUB_ERR_FLV_REJECTED),
    ];
    for (e, code) in all {
        assert_eq!(from_error(e), code);
        assert_eq!(from_result(Err(e)), code);
        assert_eq!(text(livehub_result_str(code)), e.as_str());
    }
    assert_eq!(from_result(Ok(())), LIVEHUB_OK);
}

#[test]
fn version_is_the_crate_version() {
    assert_eq!(text(livehub_version()), env!("CARGO_PKG_VERSION"));
    assert_eq!(livehub_version(), livehub_version());
}

#[test]
fn panic_boundary_turns_panics_into_results() {
    let r: livehub_result = catch_panic(|| panic!("test panic (expected)"));
    assert_eq!(r, LIVEHUB_ERR_PANIC);
    let p: *mut livehub_hub = catch_panic(|| panic!("test panic (expected)"));
    assert!(p.is_null());
    let s: *const c_char = catch_panic(|| panic!("test panic (expected)"));
    assert_eq!(text(s), "panic");
    catch_panic(|| -> () { panic!("test panic (expected)") });
    assert_eq!(catch_panic(|| LIVEHUB_EOF), LIVEHUB_EOF);
}
