//! The ids of the emitted workspace: contacts `con-00001`, accounts `acc-0001`
//! (1-based, zero-padded, wider when needed), as the experiment's hash assignment
//! and every emitted file spell them.

use std::fmt::Write;

/// The id of contact `c` (0-based).
pub fn contact_id(c: u32) -> String {
    let mut s = String::with_capacity(10);
    push_contact_id(&mut s, c);
    s
}

/// The id of account `a` (0-based).
pub fn account_id(a: u32) -> String {
    let mut s = String::with_capacity(9);
    push_account_id(&mut s, a);
    s
}

/// Appends the id of contact `c` to `buf`.
pub fn push_contact_id(buf: &mut String, c: u32) {
    // Writing to a String cannot fail.
    let _ = write!(buf, "con-{:05}", u64::from(c) + 1);
}

/// Appends the id of account `a` to `buf`.
pub fn push_account_id(buf: &mut String, a: u32) {
    let _ = write!(buf, "acc-{:04}", u64::from(a) + 1);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_one_based_and_padded() {
        assert_eq!(contact_id(0), "con-00001");
        assert_eq!(account_id(41), "acc-0042");
        assert_eq!(account_id(123_455), "acc-123456");
        assert_eq!(contact_id(u32::MAX), "con-4294967296");
    }
}
