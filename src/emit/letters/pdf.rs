//! Page layout, and the PDF written with `pdf-writer`.
//!
//! Layout is done first, into a list of drawing operations per page (so the
//! footer can say "Sida 1 av 2"), then drawn. Layout coordinates are points
//! with the origin at the top left and y growing downwards; text is placed
//! by its baseline. Drawing turns them into PDF's coordinates (origin at the
//! bottom left) and writes the content streams by hand: text in the
//! embedded DejaVu fonts (see `font`: 2-byte codes, subsets shared between
//! documents), lines and rectangles.

use pdf_writer::{Chunk, Finish, Name, Pdf, Rect, Ref, Settings, TextStr};

use super::font::{self, Encoder, Fonts, FONT_OBJECTS};
use super::text::{self, keep, wording_for, wrap, Wording};
use crate::model::Letter;

/// Points per millimetre.
const MM: f32 = 72.0 / 25.4;
/// A4 width in points.
pub const PAGE_W: f32 = 595.28;
/// A4 height in points.
pub const PAGE_H: f32 = 841.89;

/// The address window of a C5/DL window envelope (SS 3630) in points:
/// left, top, width, height (20 mm from the left, 45 mm from the top,
/// 90 × 45 mm). The recipient's address is printed inside it.
pub const ADDRESS_WINDOW: (f32, f32, f32, f32) = (20.0 * MM, 45.0 * MM, 90.0 * MM, 45.0 * MM);

const LEFT: f32 = 25.0 * MM;
const RIGHT: f32 = PAGE_W - 20.0 * MM;
const CONTENT_W: f32 = RIGHT - LEFT;
/// Left edge of the header block at the top right.
const HEAD_X: f32 = 118.0 * MM;
/// Top of the body on the first page.
const BODY_TOP: f32 = 94.0 * MM;
/// Top of the payment slip.
const SLIP_TOP: f32 = 250.0 * MM;
const SLIP_H: f32 = 86.0;
/// Body limits on continuation pages.
const CONT_TOP: f32 = 60.0;
const CONT_BOTTOM: f32 = 785.0;
const FOOTER_Y: f32 = 814.0;

const GRAY: u8 = 90;

/// Errors while rendering letters.
#[derive(Clone, Debug, thiserror::Error)]
pub enum RenderError {
    /// An embedded font could not be read.
    #[error("font {0}: cannot read the embedded TrueType font")]
    Font(&'static str),
    /// The PDF could not be written (a font subset, compression).
    #[error("pdf: {0}")]
    Pdf(String),
    /// `render_batch` was given no letters (a PDF needs at least one page).
    #[error("no letters to render")]
    Empty,
}

/// Renders one letter as a one-or-more-page A4 PDF.
///
/// The output is deterministic: the same letter gives byte-identical bytes
/// (no creation date; the document id is derived from the letter id).
///
/// # Errors
/// [`RenderError`] if the fonts cannot be read or subset.
pub fn render_letter(letter: &Letter) -> Result<Vec<u8>, RenderError> {
    render_batch(std::slice::from_ref(letter)).map(|(bytes, _)| bytes)
}

/// The number of pages each letter takes (layout only, nothing drawn): what
/// a batch's page numbers are planned from when rendering is deferred.
///
/// # Errors
/// [`RenderError::Font`] if the fonts cannot be read.
pub fn page_counts(letters: &[&Letter]) -> Result<Vec<u32>, RenderError> {
    use rayon::prelude::*;
    let fonts = font::fonts()?;
    letters
        .par_iter()
        .with_min_len(64)
        .map(|l| page_count(layout_pages(l, fonts, Draw::PageBreaksOnly).len()))
        .collect()
}

fn page_count(pages: usize) -> Result<u32, RenderError> {
    u32::try_from(pages).map_err(|e| RenderError::Pdf(e.to_string()))
}

/// Renders many letters into one batch PDF (each letter starts on a new
/// page); returns the bytes and, for each letter, its 1-based first page
/// number.
///
/// # Errors
/// [`RenderError::Empty`] for no letters, otherwise as [`render_letter`].
pub fn render_batch(letters: &[Letter]) -> Result<(Vec<u8>, Vec<u32>), RenderError> {
    render_refs(&letters.iter().collect::<Vec<_>>())
}

/// [`render_batch`] of borrowed letters.
pub(super) fn render_refs(letters: &[&Letter]) -> Result<(Vec<u8>, Vec<u32>), RenderError> {
    let first = *letters.first().ok_or(RenderError::Empty)?;
    let fonts = font::fonts()?;
    let mut doc = Writer::new(fonts);
    let mut firsts = Vec::with_capacity(letters.len());
    let mut page_no: u32 = 1;
    for letter in letters {
        firsts.push(page_no);
        let pages = layout(letter, fonts);
        for ops in &pages {
            doc.page(ops)?;
        }
        page_no += page_count(pages.len())?;
    }
    let w = wording_for(&first.language);
    let meta = if letters.len() == 1 {
        Meta {
            title: format!("{} {}", w.title(first.kind), first.invoice_number),
            id: first.letter_id.clone(),
            language: w.code(),
            author: &first.sender.agency_name,
        }
    } else {
        let ids: Vec<&str> = letters.iter().map(|l| l.letter_id.as_str()).collect();
        Meta {
            title: format!("{} brev", letters.len()),
            id: ids.join("\n"),
            language: w.code(),
            author: &first.sender.agency_name,
        }
    };
    Ok((doc.finish(&meta)?, firsts))
}

// ---------------------------------------------------------------------------
// Layout

#[derive(Clone, Debug)]
enum Op {
    Text { x: f32, y: f32, size: f32, bold: bool, gray: bool, s: String },
    Line { x1: f32, y1: f32, x2: f32, y2: f32, w: f32 },
    Rect { x: f32, y: f32, w: f32, h: f32, line: f32, fill: Option<u8> },
}

/// Text style of a flowing paragraph.
#[derive(Clone, Copy)]
struct Style {
    size: f32,
    leading: f32,
    bold: bool,
    gray: bool,
}

const BODY: Style = Style { size: 9.5, leading: 12.0, bold: false, gray: false };
const SMALL: Style = Style { size: 8.5, leading: 10.5, bold: false, gray: false };

/// Flowing text over pages: `y` is the baseline of the last line drawn.
struct Flow<'a> {
    fonts: &'a Fonts,
    draw: Draw,
    pages: Vec<Vec<Op>>,
    y: f32,
    bottom: f32,
    continued: String,
    /// "Continued on the next page", printed at the foot of a full page.
    more: &'static str,
}

impl Flow<'_> {
    fn ops(&mut self) -> &mut Vec<Op> {
        if self.pages.is_empty() {
            self.pages.push(Vec::new());
        }
        let last = self.pages.len() - 1;
        &mut self.pages[last]
    }

    fn text(&mut self, x: f32, y: f32, st: Style, s: &str) {
        if s.is_empty() || self.draw == Draw::PageBreaksOnly {
            return;
        }
        self.ops().push(Op::Text { x, y, size: st.size, bold: st.bold, gray: st.gray, s: s.to_string() });
    }

    fn new_page(&mut self) {
        let more = self.more;
        let st = Style { size: 7.5, leading: 0.0, bold: false, gray: true };
        let y = self.bottom + 9.0;
        self.right_text(RIGHT, y, st, more);
        self.pages.push(Vec::new());
        let head = self.continued.clone();
        let st = Style { size: 8.0, leading: 10.0, bold: false, gray: true };
        self.text(LEFT, 40.0, st, &head);
        self.ops().push(Op::Line { x1: LEFT, y1: 45.0, x2: RIGHT, y2: 45.0, w: 0.4 });
        self.y = CONT_TOP;
        self.bottom = CONT_BOTTOM;
    }

    /// Moves to the next line of height `h`, starting a page when needed.
    fn advance(&mut self, h: f32) {
        if self.y + h > self.bottom {
            self.new_page();
        }
        self.y += h;
    }

    /// Starts a new page unless `h` more points fit on this one (keeps a
    /// block together).
    fn keep(&mut self, h: f32) {
        if self.y + h > self.bottom {
            self.new_page();
        }
    }

    fn gap(&mut self, h: f32) {
        self.y = (self.y + h).min(self.bottom);
    }

    /// A wrapped paragraph at `x` within `width`.
    fn para(&mut self, x: f32, width: f32, st: Style, s: &str) {
        let fonts = self.fonts;
        let measure = |t: &str| fonts.width(t, st.size, st.bold);
        for line in wrap(s, width, &measure) {
            self.advance(st.leading);
            let y = self.y;
            self.text(x, y, st, &line);
        }
    }

    /// A label in a fixed column and a wrapped value beside it; the first
    /// value line shares the label's baseline.
    fn labelled(&mut self, label: &str, label_w: f32, st: Style, value: &str) {
        let fonts = self.fonts;
        let measure = |t: &str| fonts.width(t, st.size, st.bold);
        let lines = wrap(value, CONTENT_W - label_w, &measure);
        for (i, line) in lines.iter().enumerate() {
            self.advance(st.leading);
            let y = self.y;
            if i == 0 {
                self.text(LEFT, y, Style { bold: true, ..st }, label);
            }
            self.text(LEFT + label_w, y, st, line);
        }
    }

    fn right_text(&mut self, right: f32, y: f32, st: Style, s: &str) {
        if self.draw == Draw::PageBreaksOnly {
            return;
        }
        let w = self.fonts.width(s, st.size, st.bold);
        self.text(right - w, y, st, s);
    }
}

/// Lays out one letter into pages of drawing operations.
/// What `layout_pages` draws.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Draw {
    /// Every page's drawing operations.
    All,
    /// Only what moves the text down the pages: the same pages, with the
    /// fixed parts (letterhead, address, slip, footers) and the text
    /// itself left out. What planning needs (the page count), for a third
    /// of the work.
    PageBreaksOnly,
}

fn layout(l: &Letter, fonts: &Fonts) -> Vec<Vec<Op>> {
    layout_pages(l, fonts, Draw::All)
}

fn layout_pages(l: &Letter, fonts: &Fonts, draw: Draw) -> Vec<Vec<Op>> {
    let w = wording_for(&l.language);
    let mut f = Flow {
        fonts,
        draw,
        pages: vec![Vec::new()],
        y: BODY_TOP,
        bottom: SLIP_TOP - 14.0,
        continued: w.continued(l),
        more: w.continues(),
    };
    if draw == Draw::All {
        // At fixed places on the first page: they move no text.
        letterhead(&mut f, w, l);
        address_window(&mut f, w, l);
        slip(&mut f, w, l);
    }

    // Parties and the claim.
    let label_w = 88.0;
    for (label, value) in w.parties(l) {
        f.labelled(&label, label_w, SMALL, &value);
    }
    f.gap(10.0);
    for p in w.intro(l) {
        f.para(LEFT, CONTENT_W, BODY, &p);
        f.gap(5.0);
    }
    f.gap(4.0);
    spec_table(&mut f, w, l);
    f.gap(10.0);
    for p in w.payment(l).iter().chain(w.legal(l).iter()) {
        f.para(LEFT, CONTENT_W, BODY, p);
        f.gap(5.0);
    }
    f.gap(6.0);
    let closing = w.closing(l);
    f.keep(BODY.leading * closing.len() as f32);
    for line in closing {
        f.para(LEFT, CONTENT_W, BODY, &line);
    }

    let mut pages = f.pages;
    let n = pages.len();
    if draw == Draw::All {
        for (i, ops) in pages.iter_mut().enumerate() {
            footer(ops, fonts, w, l, i + 1, n);
        }
    }
    pages
}

fn letterhead(f: &mut Flow<'_>, w: &dyn Wording, l: &Letter) {
    let s = &l.sender;
    let name_st = Style {
        size: f.fonts.fit(&s.agency_name, 15.0, 9.0, HEAD_X - LEFT - 10.0, true),
        leading: 0.0,
        bold: true,
        gray: false,
    };
    f.text(LEFT, 20.0 * MM, name_st, &s.agency_name);
    let small = Style { size: 8.0, leading: 10.0, bold: false, gray: true };
    let mut y = 20.0 * MM + 13.0;
    for line in [s.agency_address.clone(), format!("Org.nr {}", s.agency_org_no)] {
        let st = Style { size: f.fonts.fit(&line, 8.0, 5.5, HEAD_X - LEFT - 10.0, false), ..small };
        f.text(LEFT, y, st, &line);
        y += small.leading;
    }

    // Title and reference fields at the top right.
    let title = w.title(l.kind);
    let title_st = Style { size: 16.0, leading: 0.0, bold: true, gray: false };
    f.text(HEAD_X, 22.0 * MM, title_st, title);
    let label_w = 78.0;
    let mut y = 22.0 * MM + 22.0;
    for (label, value) in w.header_fields(l) {
        let label_st = Style { size: 8.5, leading: 12.0, bold: false, gray: true };
        f.text(HEAD_X, y, label_st, &label);
        let size = f.fonts.fit(&value, 9.0, 5.5, RIGHT - HEAD_X - label_w, false);
        f.text(HEAD_X + label_w, y, Style { size, leading: 12.0, bold: false, gray: false }, &value);
        y += 12.0;
    }
}

fn address_window(f: &mut Flow<'_>, w: &dyn Wording, l: &Letter) {
    let (wx, wy, ww, wh) = ADDRESS_WINDOW;
    let x = wx + 5.0 * MM;
    let max_w = ww - 10.0 * MM;
    let ret = w.return_address(l);
    let ret_size = f.fonts.fit(&ret, 7.0, 5.0, max_w, false);
    let ret_st = Style { size: ret_size, leading: 0.0, bold: false, gray: true };
    f.text(x, wy + 5.0 * MM, ret_st, &ret);
    f.ops().push(Op::Line { x1: x, y1: wy + 5.0 * MM + 3.0, x2: x + max_w, y2: wy + 5.0 * MM + 3.0, w: 0.3 });

    let d = &l.debtor;
    let mut lines = vec![d.name.trim().to_string(), d.address1.trim().to_string()];
    if !d.address2.trim().is_empty() {
        lines.push(d.address2.trim().to_string());
    }
    lines.push(text::postal_line(&d.postcode, &d.city, &d.country));
    if let Some(c) = text::country_line(&d.country) {
        lines.push(c);
    }
    // Shrink lines that are too wide, down to 8 pt; wrap what still does
    // not fit. Tighten the leading when there are many lines, so that all
    // stay inside the window.
    let fonts = f.fonts;
    let mut printed: Vec<(String, f32)> = Vec::new();
    for line in lines.iter().filter(|s| !s.is_empty()) {
        let size = fonts.fit(line, 10.5, 8.0, max_w, false);
        let measure = |t: &str| fonts.width(t, size, false);
        for part in wrap(line, max_w, &measure) {
            printed.push((part, size));
        }
    }
    let room = wy + wh - 3.0 * MM - (wy + 14.0 * MM);
    let leading = if printed.len() > 1 { (room / (printed.len() - 1) as f32).min(13.0) } else { 13.0 };
    let mut y = wy + 14.0 * MM;
    for (line, size) in &printed {
        let st = Style { size: size.min(leading), leading, bold: false, gray: false };
        f.text(x, y, st, line);
        y += leading;
    }
}

fn spec_table(f: &mut Flow<'_>, w: &dyn Wording, l: &Letter) {
    let head = Style { size: 10.5, leading: 15.0, bold: true, gray: false };
    // Keep the heading with the first rows.
    f.keep(head.leading + 3.0 * BODY.leading);
    f.advance(head.leading);
    let y = f.y;
    f.text(LEFT, y, head, w.spec_heading());
    f.ops().push(Op::Line { x1: LEFT, y1: y + 4.0, x2: RIGHT, y2: y + 4.0, w: 0.6 });
    f.gap(3.0);
    let amount_w = 110.0;
    for row in w.spec_rows(l) {
        if row.total {
            f.advance(4.0);
            let y = f.y;
            f.ops().push(Op::Line { x1: LEFT, y1: y, x2: RIGHT, y2: y, w: 0.6 });
        }
        let (x, st) = if row.detail {
            (LEFT + 14.0, Style { gray: true, ..SMALL })
        } else if row.total {
            (LEFT, Style { size: 10.5, leading: 14.0, bold: true, gray: false })
        } else {
            (LEFT, BODY)
        };
        let label_w = if row.amount.is_empty() { RIGHT - x } else { RIGHT - x - amount_w };
        let fonts = f.fonts;
        let measure = |t: &str| fonts.width(t, st.size, st.bold);
        let lines = wrap(&row.label, label_w, &measure);
        for (i, line) in lines.iter().enumerate() {
            f.advance(st.leading);
            let y = f.y;
            f.text(x, y, st, line);
            if i == 0 && !row.amount.is_empty() {
                f.right_text(RIGHT, y, st, &row.amount);
            }
        }
    }
}

fn slip(f: &mut Flow<'_>, w: &dyn Wording, l: &Letter) {
    let [heading, bg, ocr, amount, pay_by, payee, payer] = w.slip_labels();
    let top = SLIP_TOP;
    let strip = 16.0;
    let row_h = (SLIP_H - strip) / 2.0;
    let ops = f.ops();
    ops.push(Op::Rect { x: LEFT, y: top, w: CONTENT_W, h: strip, line: 0.0, fill: Some(225) });
    ops.push(Op::Rect { x: LEFT, y: top, w: CONTENT_W, h: SLIP_H, line: 1.0, fill: None });
    ops.push(Op::Line { x1: LEFT, y1: top + strip, x2: RIGHT, y2: top + strip, w: 0.6 });
    ops.push(Op::Line { x1: LEFT, y1: top + strip + row_h, x2: RIGHT, y2: top + strip + row_h, w: 0.6 });
    let head_st = Style { size: 9.0, leading: 0.0, bold: true, gray: false };
    f.text(LEFT + 6.0, top + 11.5, head_st, heading);

    let unit = w.unit(l.currency.code());
    let cells1: [(&str, String, f32); 4] = [
        (bg, l.sender.bankgiro.clone(), 0.22),
        (ocr, l.reference.clone(), 0.33),
        (amount, keep(&format!("{} {unit}", text::fmt_amount_sv(l.amount_due))), 0.25),
        (pay_by, text::fmt_date(l.pay_by), 0.20),
    ];
    let cells2: [(&str, String, f32); 2] =
        [(payee, l.sender.agency_name.clone(), 0.5), (payer, l.debtor.name.to_string(), 0.5)];
    let label_st = Style { size: 7.0, leading: 0.0, bold: false, gray: true };
    for (row, cells) in [(0usize, &cells1[..]), (1, &cells2[..])] {
        let y0 = top + strip + row_h * row as f32;
        let mut x0 = LEFT;
        for (i, (label, value, frac)) in cells.iter().enumerate() {
            let cw = CONTENT_W * frac;
            if i > 0 {
                f.ops().push(Op::Line { x1: x0, y1: y0, x2: x0, y2: y0 + row_h, w: 0.6 });
            }
            f.text(x0 + 6.0, y0 + 9.5, label_st, label);
            let big = if row == 0 { 11.5 } else { 9.5 };
            let bold = row == 0;
            let size = f.fonts.fit(value, big, 5.5, cw - 12.0, bold);
            let st = Style { size, leading: 0.0, bold, gray: false };
            f.text(x0 + 6.0, y0 + 26.0, st, value);
            x0 += cw;
        }
    }
}

fn footer(ops: &mut Vec<Op>, fonts: &Fonts, w: &dyn Wording, l: &Letter, page: usize, n: usize) {
    let s = &l.sender;
    let parts = [
        s.agency_name.clone(),
        s.agency_address.clone(),
        format!("Org.nr {}", s.agency_org_no),
        format!("Tel {}", s.agency_phone),
        s.agency_email.clone(),
        format!("Bankgiro {}", s.bankgiro),
    ];
    let line: Vec<&str> = parts.iter().map(String::as_str).filter(|p| !p.trim().is_empty()).collect();
    let line = line.join(" \u{b7} ");
    let page_s = w.page_of(page, n);
    let page_w = fonts.width(&page_s, 7.5, false);
    let size = fonts.fit(&line, 7.0, 4.5, CONTENT_W - page_w - 12.0, false);
    ops.push(Op::Line { x1: LEFT, y1: FOOTER_Y - 10.0, x2: RIGHT, y2: FOOTER_Y - 10.0, w: 0.4 });
    ops.push(Op::Text { x: LEFT, y: FOOTER_Y, size, bold: false, gray: true, s: line });
    ops.push(Op::Text { x: RIGHT - page_w, y: FOOTER_Y, size: 7.5, bold: false, gray: true, s: page_s });
}

// ---------------------------------------------------------------------------
// Drawing

/// Object numbers: the catalog, the page tree, the document information,
/// the XMP metadata, the regular font's objects, the bold font's objects,
/// then each page followed by its content stream. The fonts' numbers are
/// fixed so that their objects, serialised once, can be copied into every
/// document.
const CATALOG: Ref = Ref::new(1);
const PAGE_TREE: Ref = Ref::new(2);
const INFO: Ref = Ref::new(3);
const XMP: Ref = Ref::new(4);
/// First object number of the regular font's objects.
pub(super) const REGULAR_OBJ: i32 = 5;
/// First object number of the bold font's objects.
pub(super) const BOLD_OBJ: i32 = REGULAR_OBJ + FONT_OBJECTS;
const FIRST_PAGE_OBJ: i32 = BOLD_OBJ + FONT_OBJECTS;

/// The document's metadata: Info dictionary, XMP packet and file id.
struct Meta<'a> {
    title: String,
    /// What the file id is derived from (the letter ids).
    id: String,
    language: &'static str,
    author: &'a str,
}

/// A PDF being written: the pages so far, and the characters each face has
/// coded (which decides the fonts' subsets at the end).
struct Writer<'f> {
    pdf: Pdf,
    regular: Encoder<'f>,
    bold: Encoder<'f>,
    pages: Vec<Ref>,
    /// The content stream being written (reused from page to page).
    content: Vec<u8>,
}

impl<'f> Writer<'f> {
    fn new(fonts: &'f Fonts) -> Writer<'f> {
        Writer {
            pdf: Pdf::with_settings(Settings { pretty: false }),
            regular: Encoder::new(&fonts.regular),
            bold: Encoder::new(&fonts.bold),
            pages: Vec::new(),
            content: Vec::with_capacity(16 * 1024),
        }
    }

    /// Draws one page.
    fn page(&mut self, ops: &[Op]) -> Result<(), RenderError> {
        let n = i32::try_from(self.pages.len()).map_err(|e| RenderError::Pdf(e.to_string()))?;
        let id = Ref::new(
            n.checked_mul(2)
                .and_then(|k| k.checked_add(FIRST_PAGE_OBJ))
                .ok_or(RenderError::Pdf("too many pages for one file".into()))?,
        );
        let contents = id.next();
        self.content.clear();
        draw(&mut self.content, &mut self.regular, &mut self.bold, ops);
        let mut page = self.pdf.page(id);
        page.parent(PAGE_TREE).media_box(Rect::new(0.0, 0.0, PAGE_W, PAGE_H)).contents(contents);
        page.resources().fonts().pair(Name(b"F0"), Ref::new(REGULAR_OBJ)).pair(Name(b"F1"), Ref::new(BOLD_OBJ));
        page.finish();
        // Content streams are written uncompressed. A page's stream is about
        // 7.5 KB (2 bytes per character, the rest positions); zlib at its
        // fastest levels shrinks it to a third but costs about as much CPU
        // as laying out and writing the whole letter (`inkasso letters`, 8 363
        // letters: 2.2 s of CPU uncompressed, 3.1-3.4 s at level 1, 3.9-4.0 s
        // at level 2). An e-mailed letter is still about 44 KB, most of it
        // the two font subsets.
        self.pdf.stream(contents, &self.content);
        self.pages.push(id);
        Ok(())
    }

    /// Writes the fonts, page tree, catalog and metadata; returns the file.
    fn finish(mut self, meta: &Meta<'_>) -> Result<Vec<u8>, RenderError> {
        let chunk: &mut Chunk = &mut self.pdf;
        self.regular.write_font(chunk)?;
        self.bold.write_font(chunk)?;
        let count = i32::try_from(self.pages.len()).map_err(|e| RenderError::Pdf(e.to_string()))?;
        self.pdf.pages(PAGE_TREE).kids(self.pages.iter().copied()).count(count);
        self.pdf.catalog(CATALOG).pages(PAGE_TREE).lang(TextStr(meta.language)).metadata(XMP);
        self.pdf
            .document_info(INFO)
            .title(TextStr(&meta.title))
            .author(TextStr(meta.author))
            .creator(TextStr("inkasso"));
        let id = xxhash_rust::xxh3::xxh3_128(meta.id.as_bytes()).to_be_bytes();
        let id_hex: String = id.iter().map(|b| format!("{b:02x}")).collect();
        self.pdf.metadata(XMP, xmp(meta, count, &id_hex).as_bytes());
        self.pdf.set_file_id((id.to_vec(), id.to_vec()));
        Ok(self.pdf.finish())
    }
}

/// The XMP metadata packet (title, author, language, pages, document id),
/// as PDF/A expects it beside the Info dictionary.
fn xmp(meta: &Meta<'_>, pages: i32, id: &str) -> String {
    format!(
        "<?xpacket begin=\"\u{feff}\" id=\"W5M0MpCehiHzreSzNTczkc9d\"?>\
         <x:xmpmeta xmlns:x=\"adobe:ns:meta/\">\
         <rdf:RDF xmlns:rdf=\"http://www.w3.org/1999/02/22-rdf-syntax-ns#\">\
         <rdf:Description rdf:about=\"\" xmlns:dc=\"http://purl.org/dc/elements/1.1/\" \
         xmlns:xmp=\"http://ns.adobe.com/xap/1.0/\" xmlns:xmpMM=\"http://ns.adobe.com/xap/1.0/mm/\" \
         xmlns:xmpTPg=\"http://ns.adobe.com/xap/1.0/t/pg/\" xmlns:pdf=\"http://ns.adobe.com/pdf/1.3/\">\
         <dc:title><rdf:Alt><rdf:li xml:lang=\"x-default\">{}</rdf:li></rdf:Alt></dc:title>\
         <dc:creator><rdf:Seq><rdf:li>{}</rdf:li></rdf:Seq></dc:creator>\
         <xmp:CreatorTool>inkasso</xmp:CreatorTool>\
         <dc:language><rdf:Bag><rdf:li>{}</rdf:li></rdf:Bag></dc:language>\
         <xmpTPg:NPages>{pages}</xmpTPg:NPages><dc:format>application/pdf</dc:format>\
         <xmpMM:DocumentID>{id}</xmpMM:DocumentID><xmpMM:InstanceID>{id}</xmpMM:InstanceID>\
         <pdf:PDFVersion>1.7</pdf:PDFVersion>\
         </rdf:Description></rdf:RDF></x:xmpmeta><?xpacket end=\"r\"?>",
        xml_text(&meta.title),
        xml_text(meta.author),
        xml_text(meta.language),
    )
}

/// `s` as XML character data: markup escaped, characters XML 1.0 forbids
/// (control characters) left out.
fn xml_text(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\t' | '\n' | '\r' => out.push(c),
            c if c < ' ' || ('\u{7f}'..='\u{9f}').contains(&c) || c == '\u{fffe}' || c == '\u{ffff}' => {}
            c => out.push(c),
        }
    }
    out
}

/// What the content stream has set so far, so that unchanged state is not
/// written again.
#[derive(Default)]
struct Pen {
    in_text: bool,
    font: Option<(bool, f32)>,
    fill: Option<u8>,
    line_width: Option<f32>,
}

impl Pen {
    fn end_text(&mut self, out: &mut Vec<u8>) {
        if self.in_text {
            out.extend_from_slice(b"ET\n");
            self.in_text = false;
            self.font = None;
        }
    }

    fn fill(&mut self, out: &mut Vec<u8>, gray: u8) {
        if self.fill != Some(gray) {
            num(out, f32::from(gray) / 255.0, 3);
            out.extend_from_slice(b" g\n");
            self.fill = Some(gray);
        }
    }

    fn line_width(&mut self, out: &mut Vec<u8>, w: f32) {
        if self.line_width != Some(w) {
            num(out, w, 2);
            out.extend_from_slice(b" w\n");
            self.line_width = Some(w);
        }
    }
}

/// Writes the content stream of one page: text objects with literal strings
/// of 2-byte codes in /F0 (regular) or /F1 (bold), black or gray; lines and
/// rectangles stroked in black. y is turned from top-down to PDF's
/// bottom-up.
fn draw<'f>(out: &mut Vec<u8>, regular: &mut Encoder<'f>, bold: &mut Encoder<'f>, ops: &[Op]) {
    let mut pen = Pen::default();
    for op in ops {
        match op {
            Op::Text { x, y, size, bold: is_bold, gray, s } => {
                if !pen.in_text {
                    out.extend_from_slice(b"BT\n");
                    pen.in_text = true;
                }
                if pen.font != Some((*is_bold, *size)) {
                    out.extend_from_slice(if *is_bold { b"/F1 " } else { b"/F0 " });
                    num(out, *size, 2);
                    out.extend_from_slice(b" Tf\n");
                    pen.font = Some((*is_bold, *size));
                }
                pen.fill(out, if *gray { GRAY } else { 0 });
                out.extend_from_slice(b"1 0 0 1 ");
                point(out, *x, *y);
                out.extend_from_slice(b" Tm (");
                let enc = if *is_bold { &mut *bold } else { &mut *regular };
                for c in s.chars() {
                    for byte in enc.cid(c).to_be_bytes() {
                        // A literal string holds any byte but the delimiters,
                        // the escape and line ends (which readers normalise).
                        if matches!(byte, b'(' | b')' | b'\\' | b'\r' | b'\n') {
                            out.extend_from_slice(&[
                                b'\\',
                                b'0' + (byte >> 6),
                                b'0' + ((byte >> 3) & 7),
                                b'0' + (byte & 7),
                            ]);
                        } else {
                            out.push(byte);
                        }
                    }
                }
                out.extend_from_slice(b") Tj\n");
            }
            Op::Line { x1, y1, x2, y2, w } => {
                pen.end_text(out);
                pen.line_width(out, *w);
                point(out, *x1, *y1);
                out.extend_from_slice(b" m ");
                point(out, *x2, *y2);
                out.extend_from_slice(b" l S\n");
            }
            Op::Rect { x, y, w, h, line, fill } => {
                pen.end_text(out);
                let paint: &[u8] = match (fill, *line > 0.0) {
                    (Some(_), true) => b"re B\n",
                    (Some(_), false) => b"re f\n",
                    (None, true) => b"re S\n",
                    (None, false) => continue,
                };
                if let Some(g) = fill {
                    pen.fill(out, *g);
                }
                if *line > 0.0 {
                    pen.line_width(out, *line);
                }
                for v in [*x, PAGE_H - y - h, *w, *h] {
                    num(out, v, 2);
                    out.push(b' ');
                }
                out.extend_from_slice(paint);
            }
        }
    }
    pen.end_text(out);
}

/// Writes the layout point (`x`, `y`) in PDF coordinates: `x PAGE_H-y`.
fn point(out: &mut Vec<u8>, x: f32, y: f32) {
    num(out, x, 2);
    out.push(b' ');
    num(out, PAGE_H - y, 2);
}

/// Writes `v` rounded to `decimals` places (at most 4), without trailing
/// zeros: `12.5`, `-3`, `0.353`.
fn num(out: &mut Vec<u8>, v: f32, decimals: u32) {
    let scale = 10_i64.pow(decimals.min(4));
    // Saturating conversion; NaN becomes 0. Coordinates are far inside i64.
    let n = (f64::from(v) * scale as f64).round() as i64;
    if n < 0 {
        out.push(b'-');
    }
    let n = n.unsigned_abs();
    let scale = scale.unsigned_abs();
    let (int, mut frac) = (n / scale, n % scale);
    let mut digits = [0u8; 20];
    let mut i = digits.len();
    let mut k = int;
    loop {
        i -= 1;
        digits[i] = b'0' + (k % 10) as u8;
        k /= 10;
        if k == 0 {
            break;
        }
    }
    out.extend_from_slice(&digits[i..]);
    if frac != 0 {
        out.push(b'.');
        let mut div = scale / 10;
        while frac != 0 {
            out.push(b'0' + (frac / div) as u8);
            frac %= div;
            div /= 10;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::emit::letters::tests::sample;
    use crate::model::LetterKind;

    /// Text boxes: left, top, right, bottom (approximate ascent/descent).
    fn boxes(fonts: &Fonts, ops: &[Op]) -> Vec<(f32, f32, f32, f32, String)> {
        ops.iter()
            .filter_map(|op| match op {
                Op::Text { x, y, size, bold, s, .. } => {
                    Some((*x, y - size * 0.75, x + fonts.width(s, *size, *bold), y + size * 0.2, s.clone()))
                }
                _ => None,
            })
            .collect()
    }

    fn check_layout(l: &Letter) -> usize {
        let fonts = font::fonts().unwrap();
        let pages = layout(l, fonts);
        for (p, ops) in pages.iter().enumerate() {
            let b = boxes(fonts, ops);
            for (i, (x0, y0, x1, y1, s)) in b.iter().enumerate() {
                assert!(*x0 >= 20.0 * MM - 0.01, "page {p}: {s:?} left of margin");
                assert!(*x1 <= PAGE_W - 20.0 * MM + 0.5, "page {p}: {s:?} off the right");
                assert!(*y0 > 10.0 * MM && *y1 < PAGE_H - 8.0 * MM, "page {p}: {s:?}");
                let (wx, wy, ww, wh) = ADDRESS_WINDOW;
                if p == 0 && *y0 > wy && *y0 < wy + wh && *x0 < wx + ww {
                    assert!(*x1 <= wx + ww && *y1 <= wy + wh, "{s:?} outside the window");
                }
                for (a0, b0, a1, b1, t) in &b[i + 1..] {
                    let overlap = x0 < a1 && a0 < x1 && y0 < b1 && b0 < y1;
                    assert!(!overlap, "page {p}: {s:?} overlaps {t:?}");
                }
            }
        }
        pages.len()
    }

    #[test]
    fn nothing_overlaps_or_leaves_the_page() {
        assert_eq!(check_layout(&sample(LetterKind::Collection, "Kort")), 1);
        assert_eq!(check_layout(&sample(LetterKind::Reminder, "Kort")), 1);
        let mut l = sample(LetterKind::Collection, &"Mycket lång text. ".repeat(300));
        std::sync::Arc::make_mut(&mut l.debtor).name =
            "Anna-Karin Åkerström-Ölundsdotter Näslund med ett mycket långt namn".into();
        std::sync::Arc::make_mut(&mut l.debtor).address2 =
            "c/o Bergström, Lägenhet 1102, Trappuppgång B, våning 11".into();
        std::sync::Arc::make_mut(&mut l.debtor).country = "NO".into();
        std::sync::Arc::make_mut(&mut l.sender).creditor_name = "Långt Bolagsnamn ".repeat(8);
        l.invoice_number = "INV-2024-000000000001234567890".into();
        assert!(check_layout(&l) >= 2);
        // Words longer than a line are broken, not cut.
        let l = sample(LetterKind::Collection, &"x".repeat(1000));
        check_layout(&l);
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(64))]
        /// Planning's page breaks are the drawn letter's, for letters of
        /// one to several pages.
        #[test]
        fn page_breaks_only_gives_the_drawn_page_count(words in 0usize..900, long_name in proptest::bool::ANY, kind in 0..2) {
            let kind = if kind == 0 { LetterKind::Reminder } else { LetterKind::Collection };
            let mut l = sample(kind, &"ord ".repeat(words));
            if long_name {
                std::sync::Arc::make_mut(&mut l.debtor).name = "Anna-Karin Åkerström med ett mycket långt namn ".repeat(3).into();
            }
            let fonts = font::fonts().unwrap();
            proptest::prop_assert_eq!(
                layout_pages(&l, fonts, Draw::PageBreaksOnly).len(),
                layout_pages(&l, fonts, Draw::All).len()
            );
        }
    }

    #[test]
    fn long_description_is_not_cut() {
        let fonts = font::fonts().unwrap();
        let desc = format!("{}SLUTORD", "ord ".repeat(249));
        let pages = layout(&sample(LetterKind::Collection, &desc), fonts);
        let words: usize = pages
            .iter()
            .flat_map(|ops| boxes(fonts, ops))
            .map(|b| b.4.split(' ').filter(|w| *w == "ord").count())
            .sum();
        assert_eq!(words, 249);
        assert!(pages.iter().flat_map(|ops| boxes(fonts, ops)).any(|b| b.4.contains("SLUTORD")));
    }
}
