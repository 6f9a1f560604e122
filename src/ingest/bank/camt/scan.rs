//! A small XML scanner for XML as camt files use it, over the whole
//! (already UTF-8 checked) file as one `&str`, reporting what it reads to a
//! `Handler` (start tags, text, CDATA, end tags), in document order.
//!
//! Rules:
//! - Markup: start tags `<name attr="v">`, empty elements `<name/>`, end
//!   tags `</name>` (whitespace allowed before `>`), comments `<!-- -->`,
//!   CDATA sections `<![CDATA[ ]]>`, processing instructions and the XML
//!   declaration `<? ?>` (both skipped), and `<!DOCTYPE` (reported, so the
//!   handler can refuse it). A `>` inside a quoted attribute value does not
//!   end a start tag.
//! - An element name is one or more ASCII letters, digits, `_`, `-`, `.`,
//!   `:` or non-ASCII characters; after the name comes whitespace, `>` or
//!   `/>`. Anything else is an error, as is an end tag that does not name
//!   the innermost open element (`Handler::open_name`), or an end tag with
//!   no open element.
//! - Text between markup is reported raw, with a flag saying whether it is
//!   plain (no `&`, no `\r`): plain text is the value as it is. Otherwise
//!   `push_text` decodes it: `\r\n` and a lone `\r` become `\n`, the five
//!   predefined entities (`&lt;` `&gt;` `&amp;` `&apos;` `&quot;`) and
//!   character references (`&#229;`, `&#xE5;`; not 0, not a surrogate) are
//!   resolved; any other reference, or an `&` without its `;` before the
//!   next `&` or markup, is an error.
//! - Attributes (read with `Attributes` by whoever needs them) are
//!   `name="value"` or `name='value'`, whitespace allowed around `=`;
//!   anything else is an error (it is not XML, and dropping the attribute
//!   could silently change an amount's currency). Values are normalized as
//!   XML 1.0 says: `\t`, `\n`, `\r` and `\r\n` become one space, references
//!   are resolved as in text.
//! - Every error is an `XmlError` at the byte offset where the construct
//!   starts (the `<` of a tag, the `&` of a reference). Where quick-xml
//!   (which this scanner replaced) had a message for the same problem, the
//!   wording is its own, so quarantine reports read as before.
//!
//! Nothing is copied: names, attributes and plain text are slices of the
//! input. Only `push_text` (for text that needs decoding) and `attr_value`
//! (for attribute values that need normalizing) write into a `String`.
//! The loops over every byte use a 256-entry class table; the usual leaf
//! `<name>text</name>` is recognized in one step.

use std::borrow::Cow;

use memchr::{memchr, memchr2, memmem};

/// An error in the XML itself: where, what was found, what was expected.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct XmlError {
    /// Byte offset in the input.
    pub at: usize,
    pub value: String,
    pub expected: &'static str,
}

const WELL_FORMED: &str = "well-formed XML";
const PREDEFINED_ONLY: &str = "only the predefined XML entities or a character reference";

fn syntax(at: usize, message: &str) -> XmlError {
    XmlError { at, value: message.to_string(), expected: WELL_FORMED }
}

const UNCLOSED_TAG: &str = "syntax error: tag not closed: `>` not found before end of input";
const UNCLOSED_DOUBLE_QUOTE: &str = "syntax error: attribute value not closed: `\"` not found before end of input";
const UNCLOSED_SINGLE_QUOTE: &str = "syntax error: attribute value not closed: `'` not found before end of input";
const UNCLOSED_COMMENT: &str = "syntax error: comment not closed: `-->` not found before end of input";
const UNCLOSED_CDATA: &str = "syntax error: CDATA not closed: `]]>` not found before end of input";
const UNCLOSED_PI: &str = "syntax error: processing instruction not closed: `?>` not found before end of input";
const UNCLOSED_DECL: &str = "syntax error: XML declaration not closed: `?>` not found before end of input";
const UNKNOWN_BANG: &str = "syntax error: unknown or missed symbol in markup";
const UNCLOSED_REFERENCE: &str =
    "ill-formed document: entity or character reference not closed: `;` not found before end of input";

/// XML whitespace: space, tab, line feed, carriage return.
pub(super) fn is_space(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\n' | b'\r')
}

/// Byte classes, for the loops that run over every byte.
const NAME: u8 = 1;
const COLON: u8 = 2;
const TEXT_SPECIAL: u8 = 4;

/// `CLASS[b]`: `NAME` for the bytes of an element name (see the module
/// doc) other than `:`, `COLON` for `:`, `TEXT_SPECIAL` for the bytes that
/// end plain text (`<`, `&`, `\r`).
static CLASS: [u8; 256] = {
    let mut t = [0u8; 256];
    let mut b = 0;
    while b < 256 {
        let c = b as u8;
        if c.is_ascii_alphanumeric() || c == b'_' || c == b'-' || c == b'.' || c >= 0x80 {
            t[b] = NAME;
        }
        b += 1;
    }
    t[b':' as usize] = COLON;
    t[b'<' as usize] = TEXT_SPECIAL;
    t[b'&' as usize] = TEXT_SPECIAL;
    t[b'\r' as usize] = TEXT_SPECIAL;
    t
};

fn class(b: u8) -> u8 {
    CLASS[usize::from(b)]
}

/// A start tag `<name attrs>`, or an empty element `<name attrs/>`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct StartTag<'a> {
    /// The qualified name as written (`c:Ntry`), as bytes: names are only
    /// compared, and slicing the input's bytes needs no character-boundary
    /// check (a name is cut at ASCII bytes, so it is valid UTF-8 as well).
    pub name: &'a [u8],
    /// The local name: what follows the first `:` of `name` (all of it
    /// without one).
    pub local: &'a [u8],
    /// What follows the name, up to `>` (or `/>`): the attributes.
    pub attrs: &'a str,
    /// Offset of `attrs` in the input.
    pub attrs_at: usize,
    /// `<name/>`: `Handler::end` follows at once.
    pub empty: bool,
    /// Offset of the `<`.
    pub at: usize,
}

/// Receives what `scan` reads. The methods returning `bool` return false to
/// stop the scan (having recorded why).
pub(super) trait Handler<'a> {
    /// The name (as written) of the innermost open element: the next end
    /// tag must repeat it. `None` outside the root element.
    fn open_name(&self) -> Option<&'a [u8]>;
    /// A start tag. For an empty element `end` follows at once.
    fn start(&mut self, tag: &StartTag<'a>) -> bool;
    /// Character data up to the next markup, as written, found at `at`.
    /// `plain` (no `&`, no `\r`) text is its own value; other text goes
    /// through `push_text`. Never empty.
    fn text(&mut self, raw: &'a str, at: usize, plain: bool) -> bool;
    /// The content of a CDATA section (no references; line ends still to
    /// be normalized, see `push_cdata`).
    fn cdata(&mut self, content: &'a str);
    /// The end tag of the innermost open element.
    fn end(&mut self);
    /// `<name>text</name>` with plain text only (possibly none, found at
    /// `text_at`): the same as `start`, `text` (if `text` is not empty) and
    /// `end`, in one call because it is the usual element.
    fn leaf(&mut self, tag: &StartTag<'a>, text: &'a str, text_at: usize) -> bool {
        if !self.start(tag) {
            return false;
        }
        if !text.is_empty() && !self.text(text, text_at, true) {
            return false;
        }
        self.end();
        true
    }
    /// `<!DOCTYPE` (any case) at `at`. The scan stops.
    fn doctype(&mut self, at: usize);
}

/// Reads `text` from start to end, reporting to `handler`, until the end,
/// the first XML error (returned) or a handler method returning false.
/// What is still open at the end (a truncated file) is the handler's to
/// check.
pub(super) fn scan<'a>(text: &'a str, handler: &mut impl Handler<'a>) -> Result<(), XmlError> {
    Scanner { text, pos: 0 }.run(handler)
}

struct Scanner<'a> {
    text: &'a str,
    pos: usize,
}

impl<'a> Scanner<'a> {
    /// `text[from..to]`. Every offset the scanner cuts at is the end of the
    /// input or an ASCII byte, so a character boundary.
    #[inline(always)]
    fn slice(&self, from: usize, to: usize) -> &'a str {
        self.text.get(from..to).unwrap_or_default()
    }

    fn bytes(&self) -> &'a [u8] {
        self.text.as_bytes()
    }

    /// `bytes[from..to]` (empty if out of range).
    #[inline(always)]
    fn byte_slice(&self, from: usize, to: usize) -> &'a [u8] {
        self.bytes().get(from..to).unwrap_or_default()
    }

    fn run(&mut self, h: &mut impl Handler<'a>) -> Result<(), XmlError> {
        loop {
            let bytes = self.bytes();
            let lt = self.pos;
            let Some(&first) = bytes.get(lt) else { return Ok(()) };
            if first != b'<' {
                let (end, plain) = self.text_end(lt);
                self.pos = end;
                if !h.text(self.slice(lt, end), lt, plain) {
                    return Ok(());
                }
                continue;
            }
            let go_on = match bytes.get(lt + 1) {
                None => return Err(syntax(lt, UNCLOSED_TAG)),
                Some(b'/') => {
                    self.end_tag(lt, h.open_name())?;
                    h.end();
                    true
                }
                Some(b'!') => self.bang(lt, h)?,
                Some(b'?') => {
                    self.processing_instruction(lt)?;
                    true
                }
                Some(_) => self.start_tag(lt, h)?,
            };
            if !go_on {
                return Ok(());
            }
        }
    }

    /// Where the text starting at `from` ends (the next `<` or the end of
    /// the input), and whether it is plain.
    #[inline]
    fn text_end(&self, from: usize) -> (usize, bool) {
        let bytes = self.bytes();
        let end = self.plain_text_end(from);
        if bytes.get(end).is_none_or(|&b| b == b'<') {
            return (end, true);
        }
        let rest = bytes.get(end..).unwrap_or_default();
        (memchr(b'<', rest).map_or(bytes.len(), |i| end + i), false)
    }

    /// Where plain text starting at `from` ends: the first `<`, `&` or
    /// `\r`, or the end of the input.
    #[inline]
    fn plain_text_end(&self, from: usize) -> usize {
        find(self.bytes(), from, |b| class(b) == TEXT_SPECIAL)
    }

    /// The end of the element name starting at `from`, and the offset of
    /// its first `:` if it has one.
    #[inline]
    fn name(&self, from: usize) -> (usize, Option<usize>) {
        let bytes = self.bytes();
        let mut end = from;
        let mut colon = None;
        loop {
            end = find(bytes, end, |b| class(b) != NAME);
            if bytes.get(end).is_some_and(|&b| class(b) == COLON) {
                colon = colon.or(Some(end));
                end += 1;
                continue;
            }
            return (end, colon);
        }
    }

    /// A start tag, its `<` at `lt`. The usual `<name>text</name>` (plain
    /// text) is read in one step: `start`, `text` (if any), `end`.
    #[inline]
    fn start_tag(&mut self, lt: usize, h: &mut impl Handler<'a>) -> Result<bool, XmlError> {
        let bytes = self.bytes();
        let from = lt + 1;
        let (name_end, colon) = self.name(from);
        let tag = if name_end > from && bytes.get(name_end) == Some(&b'>') {
            self.pos = name_end + 1;
            StartTag {
                name: self.byte_slice(from, name_end),
                local: self.byte_slice(colon.map_or(from, |c| c + 1), name_end),
                attrs: "",
                attrs_at: name_end,
                empty: false,
                at: lt,
            }
        } else {
            self.start_tag_with_more(lt, name_end, colon)?
        };
        if tag.empty {
            if !h.start(&tag) {
                return Ok(false);
            }
            h.end();
            return Ok(true);
        }
        // `<name ...>text</name>`?
        let text_from = self.pos;
        let text_end = self.plain_text_end(text_from);
        let close = text_end + 2;
        let close_end = close + tag.name.len();
        if bytes.get(text_end) == Some(&b'<')
            && bytes.get(text_end + 1) == Some(&b'/')
            && bytes.get(close_end) == Some(&b'>')
            && bytes.get(close..close_end).is_some_and(|name| same(name, tag.name))
        {
            self.pos = close_end + 1;
            return Ok(h.leaf(&tag, self.slice(text_from, text_end), text_from));
        }
        self.pos = text_from;
        Ok(h.start(&tag))
    }

    /// A start tag whose name (from `lt + 1` to `name_end`) is not
    /// followed by `>`: `<name/>`, a tag with attributes, or an error.
    #[inline(never)]
    fn start_tag_with_more(
        &mut self,
        lt: usize,
        name_end: usize,
        colon: Option<usize>,
    ) -> Result<StartTag<'a>, XmlError> {
        let bytes = self.bytes();
        let from = lt + 1;
        let mut attrs_end = name_end;
        let (gt, empty) = match bytes.get(name_end) {
            Some(b'/') if name_end > from => match bytes.get(name_end + 1) {
                Some(b'>') => (name_end + 1, true),
                Some(_) => return Err(self.bad_tag(lt, name_end)),
                None => return Err(syntax(lt, UNCLOSED_TAG)),
            },
            Some(&b) if is_space(b) && name_end > from => {
                let gt = tag_end(bytes, lt, name_end)?;
                let empty = bytes.get(gt - 1) == Some(&b'/');
                attrs_end = if empty { gt - 1 } else { gt };
                (gt, empty)
            }
            Some(_) => return Err(self.bad_tag(lt, name_end)),
            None => return Err(syntax(lt, UNCLOSED_TAG)),
        };
        self.pos = gt + 1;
        let local_from = colon.map_or(from, |c| c + 1);
        Ok(StartTag {
            name: self.byte_slice(from, name_end),
            local: self.byte_slice(local_from, name_end),
            attrs: self.slice(name_end, attrs_end),
            attrs_at: name_end,
            empty,
            at: lt,
        })
    }

    /// The error for a tag (its `<` at `lt`) whose name is missing or
    /// followed by something else than whitespace, `>` (or `/>` in a start
    /// tag). `stop` is where the tag went wrong.
    #[cold]
    fn bad_tag(&self, lt: usize, stop: usize) -> XmlError {
        let found = self.text.get(stop..).and_then(|r| r.chars().next()).unwrap_or_default();
        let tag = self.slice(lt, stop);
        syntax(lt, &format!("syntax error: unexpected {found:?} in tag `{tag}`"))
    }

    /// `</name>` (whitespace allowed before `>`), the `<` at `lt`; `open` is
    /// the name it must have.
    #[inline(always)]
    fn end_tag(&mut self, lt: usize, open: Option<&[u8]>) -> Result<(), XmlError> {
        let bytes = self.bytes();
        let from = lt + 2;
        // The usual case: exactly `</open>`.
        if let Some(open) = open {
            let end = from + open.len();
            if bytes.get(end) == Some(&b'>') && bytes.get(from..end).is_some_and(|name| same(name, open)) {
                self.pos = end + 1;
                return Ok(());
            }
        }
        self.other_end_tag(lt, open)
    }

    /// An end tag that is not exactly `</open>`: with whitespace before
    /// `>`, or an error.
    #[cold]
    fn other_end_tag(&mut self, lt: usize, open: Option<&[u8]>) -> Result<(), XmlError> {
        let bytes = self.bytes();
        let from = lt + 2;
        let (name_end, _) = self.name(from);
        let gt = name_end + bytes.get(name_end..).unwrap_or_default().iter().take_while(|&&b| is_space(b)).count();
        match bytes.get(gt) {
            Some(b'>') => {}
            Some(_) => return Err(self.bad_tag(lt, gt)),
            None => return Err(syntax(lt, UNCLOSED_TAG)),
        }
        let name = self.slice(from, name_end);
        match open {
            Some(open) if open == name.as_bytes() => {
                self.pos = gt + 1;
                Ok(())
            }
            Some(open) => {
                let open = String::from_utf8_lossy(open);
                Err(syntax(lt, &format!("ill-formed document: expected `</{open}>`, but `</{name}>` was found")))
            }
            None => Err(syntax(lt, &format!("ill-formed document: close tag `</{name}>` does not match any open tag"))),
        }
    }

    /// `<!`: a comment (skipped), CDATA or DOCTYPE.
    #[cold]
    fn bang(&mut self, lt: usize, h: &mut impl Handler<'a>) -> Result<bool, XmlError> {
        let bytes = self.bytes();
        let rest = bytes.get(lt..).unwrap_or_default();
        match bytes.get(lt + 2) {
            Some(b'-') => {
                // The first `-->` whose `>` is at least 6 bytes in: `<!---->`
                // is the shortest comment.
                let close = rest.get(4..).and_then(|r| memmem::find(r, b"-->"));
                match close {
                    Some(i) if rest.starts_with(b"<!--") => {
                        self.pos = lt + 4 + i + 3;
                        Ok(true)
                    }
                    _ => Err(syntax(lt, UNCLOSED_COMMENT)),
                }
            }
            Some(b'[') => {
                let close = rest.get(3..).and_then(|r| memmem::find(r, b"]]>"));
                match close {
                    Some(i) if rest.starts_with(b"<![CDATA[") => {
                        let end = lt + 3 + i;
                        self.pos = end + 3;
                        h.cdata(self.slice(lt + 9, end));
                        Ok(true)
                    }
                    _ => Err(syntax(lt, UNCLOSED_CDATA)),
                }
            }
            Some(b'D' | b'd') => {
                // Not read further: the handler refuses any DOCTYPE.
                h.doctype(lt);
                Ok(false)
            }
            _ => Err(syntax(lt, UNKNOWN_BANG)),
        }
    }

    /// `<?...?>`: a processing instruction or the XML declaration, skipped.
    #[cold]
    fn processing_instruction(&mut self, lt: usize) -> Result<(), XmlError> {
        let rest = self.bytes().get(lt..).unwrap_or_default();
        // The `?` of `<?` may be the one of `?>`: `<?>` is found, and refused
        // as too short below.
        match rest.get(1..).and_then(|r| memmem::find(r, b"?>")) {
            Some(i) if i >= 1 => {
                self.pos = lt + 1 + i + 2;
                Ok(())
            }
            Some(_) => Err(syntax(lt, UNCLOSED_PI)),
            None => {
                let decl = rest.starts_with(b"<?xml") && rest.get(5).is_none_or(|&b| is_space(b) || b == b'?');
                Err(syntax(lt, if decl { UNCLOSED_DECL } else { UNCLOSED_PI }))
            }
        }
    }
}

/// The offset of the first byte from `from` on for which `stop` holds, or
/// the end of `bytes` (`from` if it is past the end). Four bytes a step
/// while four are left, then byte by byte: this is the scanner's inner loop
/// (over names and text), and most runs are short (a name, a value, or
/// none at all before the next `<`), so it has no set-up to speak of.
#[inline(always)]
fn find(bytes: &[u8], from: usize, stop: impl Fn(u8) -> bool) -> usize {
    let mut at = from;
    while let Some(&[a, b, c, d]) = bytes.get(at..at.wrapping_add(4)) {
        if stop(a) {
            return at;
        }
        if stop(b) {
            return at + 1;
        }
        if stop(c) {
            return at + 2;
        }
        if stop(d) {
            return at + 3;
        }
        at += 4;
    }
    while let Some(&b) = bytes.get(at) {
        if stop(b) {
            return at;
        }
        at += 1;
    }
    at
}

/// `a == b`, for short byte strings such as element names: a name of 4 to
/// 16 bytes is compared as two (overlapping) words from its start and its
/// end, which costs less than a call to `memcmp`.
#[inline]
fn same(a: &[u8], b: &[u8]) -> bool {
    let n = a.len();
    if n != b.len() {
        return false;
    }
    let u32_at = |s: &[u8], i: usize| s.get(i..i + 4).and_then(|w| <[u8; 4]>::try_from(w).ok());
    let u64_at = |s: &[u8], i: usize| s.get(i..i + 8).and_then(|w| <[u8; 8]>::try_from(w).ok());
    match n {
        0 => true,
        // The first, middle and last byte are all of them.
        1..=3 => a.first() == b.first() && a.get(n / 2) == b.get(n / 2) && a.last() == b.last(),
        4..=8 => u32_at(a, 0) == u32_at(b, 0) && u32_at(a, n - 4) == u32_at(b, n - 4),
        9..=16 => u64_at(a, 0) == u64_at(b, 0) && u64_at(a, n - 8) == u64_at(b, n - 8),
        _ => a == b,
    }
}

/// Offset of the `>` that closes a start tag with attributes (its `<` at
/// `lt`): the first `>` from `from` (the end of the name) on, outside a
/// quoted attribute value.
fn tag_end(bytes: &[u8], lt: usize, from: usize) -> Result<usize, XmlError> {
    let rest = bytes.get(from..).unwrap_or_default();
    let mut quote = 0u8;
    for (i, &b) in rest.iter().enumerate() {
        if quote != 0 {
            if b == quote {
                quote = 0;
            }
        } else if b == b'>' {
            return Ok(from + i);
        } else if b == b'"' || b == b'\'' {
            quote = b;
        }
    }
    Err(syntax(
        lt,
        match quote {
            0 => UNCLOSED_TAG,
            b'"' => UNCLOSED_DOUBLE_QUOTE,
            _ => UNCLOSED_SINGLE_QUOTE,
        },
    ))
}

/// The character a reference names (what is between `&` and `;`): one of
/// the five predefined entities or a character reference.
fn resolve_reference(name: &str) -> Option<char> {
    match name {
        "lt" => Some('<'),
        "gt" => Some('>'),
        "amp" => Some('&'),
        "apos" => Some('\''),
        "quot" => Some('"'),
        _ => {
            let number = name.strip_prefix('#')?;
            let (digits, radix) = match number.strip_prefix('x') {
                Some(hex) => (hex, 16),
                None => (number, 10),
            };
            // `from_str_radix` would take a sign.
            if digits.starts_with(['+', '-']) {
                return None;
            }
            let code = u32::from_str_radix(digits, radix).ok()?;
            if code == 0 {
                return None;
            }
            char::from_u32(code)
        }
    }
}

/// Resolves the reference at the start of `raw` (which starts with `&`)
/// into `out`; returns the bytes it took. `at` is the offset of the `&`.
fn push_reference(out: &mut String, raw: &str, at: usize) -> Result<usize, XmlError> {
    let after = raw.get(1..).unwrap_or_default();
    // The reference ends at the first `;`, unless an `&` comes first.
    match memchr2(b';', b'&', after.as_bytes()) {
        Some(i) if after.as_bytes().get(i) == Some(&b';') => {
            let name = after.get(..i).unwrap_or_default();
            match resolve_reference(name) {
                Some(c) => {
                    out.push(c);
                    Ok(i + 2)
                }
                None => Err(XmlError { at, value: format!("&{name};"), expected: PREDEFINED_ONLY }),
            }
        }
        _ => Err(syntax(at, UNCLOSED_REFERENCE)),
    }
}

/// Appends the text `raw` (found at offset `at`, up to the next markup) to
/// `out`: line ends normalized, references resolved (see the module doc).
pub(super) fn push_text(out: &mut String, raw: &str, at: usize) -> Result<(), XmlError> {
    let mut rest = raw;
    let mut pos = at;
    while let Some(i) = memchr2(b'&', b'\r', rest.as_bytes()) {
        out.push_str(rest.get(..i).unwrap_or_default());
        let special = rest.get(i..).unwrap_or_default();
        let used = if special.starts_with('&') {
            push_reference(out, special, pos + i)?
        } else {
            out.push('\n');
            if special.starts_with("\r\n") {
                2
            } else {
                1
            }
        };
        rest = special.get(used..).unwrap_or_default();
        pos += i + used;
    }
    out.push_str(rest);
    Ok(())
}

/// Appends the content of a CDATA section: `\r\n` and a lone `\r` become
/// `\n`; nothing else is interpreted.
pub(super) fn push_cdata(out: &mut String, content: &str) {
    let mut rest = content;
    while let Some(i) = memchr(b'\r', rest.as_bytes()) {
        out.push_str(rest.get(..i).unwrap_or_default());
        out.push('\n');
        let after = rest.get(i + 1..).unwrap_or_default();
        rest = after.strip_prefix('\n').unwrap_or(after);
    }
    out.push_str(rest);
}

/// An attribute value normalized as XML 1.0 says (see the module doc);
/// `raw` is the value between the quotes, found at offset `at`.
pub(super) fn attr_value(raw: &str, at: usize) -> Result<Cow<'_, str>, XmlError> {
    let special = |b: u8| matches!(b, b'&' | b'\t' | b'\n' | b'\r');
    let Some(first) = raw.bytes().position(special) else {
        return Ok(Cow::Borrowed(raw));
    };
    let mut out = String::with_capacity(raw.len());
    out.push_str(raw.get(..first).unwrap_or_default());
    let mut i = first;
    while let Some(rest) = raw.get(i..).filter(|r| !r.is_empty()) {
        let next = rest.bytes().position(special).unwrap_or(rest.len());
        out.push_str(rest.get(..next).unwrap_or_default());
        let special_part = rest.get(next..).unwrap_or_default();
        let used = match special_part.as_bytes().first() {
            None => 0,
            Some(b'&') => push_reference(&mut out, special_part, at + i + next)?,
            Some(b'\r') if special_part.starts_with("\r\n") => {
                out.push(' ');
                2
            }
            Some(_) => {
                out.push(' ');
                1
            }
        };
        i += next + used;
    }
    Ok(Cow::Owned(out))
}

/// One attribute as written: its name, its raw value (between the quotes)
/// and the offset of that value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Attr<'a> {
    pub name: &'a str,
    pub raw: &'a str,
    pub at: usize,
}

/// The attributes of a start tag, in order (see the module doc for the
/// syntax).
pub(super) struct Attributes<'a> {
    raw: &'a str,
    /// Offset of `raw` in the input.
    base: usize,
    pos: usize,
}

impl<'a> Attributes<'a> {
    /// `raw` is `StartTag::attrs`, found at offset `base`.
    pub fn new(raw: &'a str, base: usize) -> Attributes<'a> {
        Attributes { raw, base, pos: 0 }
    }

    fn error(&self, at: usize, what: &str) -> XmlError {
        syntax(self.base + at, &format!("error while parsing attribute: {what}"))
    }

    fn skip_space(&self, from: usize) -> usize {
        let bytes = self.raw.as_bytes();
        bytes.get(from..).and_then(|r| r.iter().position(|&b| !is_space(b))).map_or(bytes.len(), |i| from + i)
    }

    /// The next attribute, `None` after the last one.
    pub fn next_attr(&mut self) -> Result<Option<Attr<'a>>, XmlError> {
        let bytes = self.raw.as_bytes();
        let start = self.skip_space(self.pos);
        if start >= bytes.len() {
            self.pos = start;
            return Ok(None);
        }
        let name_len = bytes
            .get(start..)
            .and_then(|r| r.iter().position(|&b| b == b'=' || is_space(b)))
            .unwrap_or(bytes.len() - start);
        let name_end = start + name_len;
        let eq = self.skip_space(name_end);
        if name_len == 0 || bytes.get(eq) != Some(&b'=') {
            return Err(self.error(start, "an attribute name must be followed by `=` and a quoted value"));
        }
        let open = self.skip_space(eq + 1);
        let quote = match bytes.get(open) {
            Some(&q @ (b'"' | b'\'')) => q,
            Some(_) => return Err(self.error(open, "attribute value must be enclosed in `\"` or `'`")),
            None => return Err(self.error(open, "`=` must be followed by an attribute value")),
        };
        let Some(len) = bytes.get(open + 1..).and_then(|r| r.iter().position(|&b| b == quote)) else {
            return Err(self.error(open, "missing closing quote in attribute value"));
        };
        let close = open + 1 + len;
        self.pos = close + 1;
        Ok(Some(Attr {
            name: self.raw.get(start..name_end).unwrap_or_default(),
            raw: self.raw.get(open + 1..close).unwrap_or_default(),
            at: self.base + open + 1,
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// What a `Handler` was told, in order.
    #[derive(Debug, Clone, PartialEq, Eq)]
    enum Ev {
        Start(&'static [u8], &'static [u8], &'static str, bool, usize),
        Text(&'static str, usize, bool),
        CData(&'static str),
        End,
        DocType(usize),
    }

    #[derive(Default)]
    struct Record {
        open: Vec<&'static [u8]>,
        events: Vec<Ev>,
    }

    impl Handler<'static> for Record {
        fn open_name(&self) -> Option<&'static [u8]> {
            self.open.last().copied()
        }
        fn start(&mut self, t: &StartTag<'static>) -> bool {
            self.open.push(t.name);
            self.events.push(Ev::Start(t.name, t.local, t.attrs, t.empty, t.at));
            true
        }
        fn text(&mut self, raw: &'static str, at: usize, plain: bool) -> bool {
            self.events.push(Ev::Text(raw, at, plain));
            true
        }
        fn cdata(&mut self, content: &'static str) {
            self.events.push(Ev::CData(content));
        }
        fn end(&mut self) {
            self.open.pop();
            self.events.push(Ev::End);
        }
        fn doctype(&mut self, at: usize) {
            self.events.push(Ev::DocType(at));
        }
    }

    fn events(text: &str) -> Result<Vec<Ev>, XmlError> {
        let text: &'static str = Box::leak(text.to_string().into_boxed_str());
        let mut r = Record::default();
        scan(text, &mut r)?;
        Ok(r.events)
    }

    #[test]
    fn tags_text_and_skipped_markup() {
        let doc =
            "<?xml version=\"1.0\"?>\n<c:A x='>'><!-- <B> --><B/>t&amp;<![CDATA[<x>]]><C>c</C><D>\n<E></E></D></c:A >";
        assert_eq!(
            events(doc).unwrap(),
            vec![
                Ev::Text("\n", 21, true),
                Ev::Start(b"c:A", b"A", " x='>'", false, 22),
                Ev::Start(b"B", b"B", "", true, 45),
                Ev::End,
                Ev::Text("t&amp;", 49, false),
                Ev::CData("<x>"),
                Ev::Start(b"C", b"C", "", false, 70),
                Ev::Text("c", 73, true),
                Ev::End,
                Ev::Start(b"D", b"D", "", false, 78),
                Ev::Text("\n", 81, true),
                Ev::Start(b"E", b"E", "", false, 82),
                Ev::End,
                Ev::End,
                Ev::End,
            ]
        );
        // Text that is not plain is not read as a leaf.
        assert_eq!(
            events("<a>x&amp;</a>").unwrap(),
            vec![Ev::Start(b"a", b"a", "", false, 0), Ev::Text("x&amp;", 3, false), Ev::End]
        );
        assert_eq!(events("<a>x&/a></a>").unwrap()[1], Ev::Text("x&/a>", 3, false));
        assert_eq!(events("<a><!DOCTYPE a>").unwrap()[1], Ev::DocType(3));
    }

    #[test]
    fn malformed_markup_is_an_error_at_its_start() {
        let cases: &[(&str, usize, &str)] = &[
            ("<a><b", 3, UNCLOSED_TAG),
            ("<a><", 3, UNCLOSED_TAG),
            ("<a x=\"1>", 0, UNCLOSED_DOUBLE_QUOTE),
            ("<a x='1>", 0, UNCLOSED_SINGLE_QUOTE),
            ("<a><!-- x ->", 3, UNCLOSED_COMMENT),
            ("<a><!-x-->", 3, UNCLOSED_COMMENT),
            ("<a><![CDATA[x]>", 3, UNCLOSED_CDATA),
            ("<a><![CDAT[x]]>", 3, UNCLOSED_CDATA),
            ("<a><!x>", 3, UNKNOWN_BANG),
            ("<a><?pi x>", 3, UNCLOSED_PI),
            ("<?>", 0, UNCLOSED_PI),
            ("<?xml version='1.0'", 0, UNCLOSED_DECL),
            ("</a", 0, UNCLOSED_TAG),
            ("<a/", 0, UNCLOSED_TAG),
            ("<a><b></a>", 6, "ill-formed document: expected `</b>`, but `</a>` was found"),
            ("<a></a></b>", 7, "ill-formed document: close tag `</b>` does not match any open tag"),
            ("<e>z</ee>", 4, "ill-formed document: expected `</e>`, but `</ee>` was found"),
            ("<a><>", 3, "syntax error: unexpected '>' in tag `<`"),
            ("<a>< b>", 3, "syntax error: unexpected ' ' in tag `<`"),
            ("<a><b\"c\">", 3, "syntax error: unexpected '\"' in tag `<b`"),
            ("<a></a x>", 3, "syntax error: unexpected 'x' in tag `</a `"),
            ("<a></>", 3, "ill-formed document: expected `</a>`, but `</>` was found"),
        ];
        for (doc, at, message) in cases {
            assert_eq!(events(doc), Err(syntax(*at, message)), "{doc:?}");
        }
        assert_eq!(events("<a></a >").unwrap().len(), 2);
    }

    #[test]
    fn find_stops_at_the_first_match() {
        let text = b"abcdefghij<";
        for from in 0..=text.len() {
            assert_eq!(find(text, from, |b| b == b'<'), 10.max(from), "{from}");
            assert_eq!(find(text, from, |b| b == b'#'), text.len());
        }
        for n in 0..12 {
            let mut t = vec![b'a'; n];
            t.push(b'<');
            assert_eq!(find(&t, 0, |b| b == b'<'), n);
        }
        assert_eq!(find(b"", 0, |_| true), 0);
        assert_eq!(find(b"ab", 5, |_| true), 5);
    }

    #[test]
    fn same_compares_bytes() {
        let names = ["", "a", "Id", "Amt", "Ntry", "Ustrd", "BkTxCd", "CdtDbtInd", "AcctSvcrRef", "TtlNetNtryAmt"];
        let long = "BkToCstmrDbtCdtNtfctnBkToCstmrDbtCdtNtfctn";
        for name in names.iter().chain([&long]) {
            assert!(same(name.as_bytes(), name.as_bytes()));
            // Every one-byte change is seen.
            for i in 0..name.len() {
                let mut other = name.as_bytes().to_vec();
                other[i] ^= 1;
                assert!(!same(name.as_bytes(), &other), "{name} {i}");
            }
        }
        assert!(!same(b"Ntry", b"Ntr"));
    }

    #[test]
    fn text_is_decoded() {
        let mut s = String::new();
        push_text(&mut s, "a\r\nb\rc&lt;&gt;&amp;&apos;&quot;&#229;&#xE5;&#x1F600;", 0).unwrap();
        assert_eq!(s, "a\nb\nc<>&'\"åå😀");
        for (raw, at, value) in
            [("x&foo;", 1, "&foo;"), ("&#0;", 0, "&#0;"), ("&#xD800;", 0, "&#xD800;"), ("&#+1;", 0, "&#+1;")]
        {
            let e = push_text(&mut String::new(), raw, 10).unwrap_err();
            assert_eq!((e.at, e.value.as_str(), e.expected), (10 + at, value, PREDEFINED_ONLY));
        }
        for raw in ["a & b", "&amp", "&a&b;"] {
            let e = push_text(&mut String::new(), raw, 0).unwrap_err();
            assert_eq!(e.value, UNCLOSED_REFERENCE, "{raw:?}");
        }
        let mut s = String::new();
        push_cdata(&mut s, "a\r\nb\rc&amp;");
        assert_eq!(s, "a\nb\nc&amp;");
    }

    #[test]
    fn attributes_are_read_and_normalized() {
        let mut a = Attributes::new(" Ccy=\"SEK\" b = 'x\ty&amp;' ", 100);
        assert_eq!(a.next_attr().unwrap(), Some(Attr { name: "Ccy", raw: "SEK", at: 106 }));
        let b = a.next_attr().unwrap().unwrap();
        assert_eq!((b.name, b.raw), ("b", "x\ty&amp;"));
        assert_eq!(attr_value(b.raw, b.at).unwrap(), "x y&");
        assert_eq!(a.next_attr().unwrap(), None);
        assert_eq!(attr_value("a\r\nb\rc\nd", 0).unwrap(), "a b c d");
        assert!(attr_value("&x;", 0).is_err());
        for bad in [" Ccy=SEK", " Ccy", " Ccy=", " =\"x\"", " a=\"1"] {
            assert!(Attributes::new(bad, 0).next_attr().is_err(), "{bad:?}");
        }
    }
}
