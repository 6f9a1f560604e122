//! The embedded DejaVu Sans fonts: advance widths for the layout, and the
//! font subsets written into the PDFs.
//!
//! Text is written as CID-keyed TrueType (`Type0`, `Identity-H`): two bytes
//! per character, one CID per distinct character. CID 0 is `.notdef`; CIDs
//! from 1 are the [base characters](BASE_RANGES) in a fixed order, then the
//! other characters a document uses, in order of first use. A CIDToGIDMap
//! stream maps each CID to its glyph in the embedded subset (a character
//! the font lacks gets a CID of its own that draws `.notdef`), and the
//! ToUnicode CMap maps each CID back to its character, so that every
//! printed character can be extracted and searched.
//!
//! Each font's TrueType hinting is removed once ([`unhinted`]), halving
//! the embedded glyphs. The font objects of the base subset are built,
//! compressed and serialised once per process ([`fonts`]) and copied into
//! every document that needs no other character: most letters. A document
//! with other characters gets a subset of its own (base plus those
//! characters, the base CIDs unchanged), built by [`Encoder::write_font`].

use std::collections::BTreeMap;
use std::io::Write;
use std::sync::OnceLock;

use flate2::write::ZlibEncoder;
use flate2::Compression;
use pdf_writer::types::{CidFontType, FontFlags, SystemInfo, UnicodeCmap};
use pdf_writer::{Chunk, Filter, Finish, Name, Rect, Ref, Settings, Str};

use super::pdf::RenderError;

static REGULAR_TTF: &[u8] = include_bytes!("../../../fonts/DejaVuSans.ttf");
static BOLD_TTF: &[u8] = include_bytes!("../../../fonts/DejaVuSans-Bold.ttf");

/// The base characters, in CID order: printable ASCII and Latin-1 (the
/// Nordic letters å ä ö æ ø and the accented letters of Western European
/// names, § ° « » ·), then [`BASE_PUNCTUATION`]. The no-break space is not
/// among them: it is drawn as an ordinary space.
const BASE_RANGES: [(char, char); 2] = [(' ', '~'), ('\u{a1}', '\u{ff}')];

/// Typographic punctuation and the euro sign: the en dash of the wording
/// ("2024-12-21–2024-12-31"), and what descriptions and names often carry.
const BASE_PUNCTUATION: [char; 11] = [
    '\u{2013}', '\u{2014}', '\u{2018}', '\u{2019}', '\u{201a}', '\u{201c}', '\u{201d}', '\u{201e}', '\u{2022}',
    '\u{2026}', '\u{20ac}',
];

/// Characters whose glyph and advance width are kept in a table
/// ([`Face::latin`]): measuring text is the hot spot of laying out letters.
const LATIN_TABLE: usize = 0x250;

/// PDF objects of one font: Type0 font, CIDFont, font descriptor, font
/// file, ToUnicode CMap and CIDToGIDMap, numbered from the face's first
/// object number.
pub(super) const FONT_OBJECTS: i32 = 6;

/// Level of the compression done once per process (base font objects).
const BEST: u32 = 9;
/// Level for the font objects of a document with other characters.
const DEFAULT: u32 = 6;

/// Both faces, loaded once per process.
pub(super) struct Fonts {
    pub regular: Face,
    pub bold: Face,
}

impl Fonts {
    /// Width of `s` at `size` points in the regular or bold face.
    pub fn width(&self, s: &str, size: f32, bold: bool) -> f32 {
        if bold {
            self.bold.width(s, size)
        } else {
            self.regular.width(s, size)
        }
    }

    /// The largest size from `size` down to `min` at which `s` fits `max_w`.
    pub fn fit(&self, s: &str, size: f32, min: f32, max_w: f32, bold: bool) -> f32 {
        let w = self.width(s, size, bold);
        if w <= max_w || w <= 0.0 {
            size
        } else {
            (size * max_w / w).max(min)
        }
    }
}

/// The regular and bold faces, parsed and their base subsets built on first
/// use. Their PDF objects are numbered from [`super::pdf::REGULAR_OBJ`] and
/// [`super::pdf::BOLD_OBJ`] ([`FONT_OBJECTS`] each) in every document.
///
/// # Errors
/// [`RenderError::Font`] if an embedded font cannot be read or subset.
pub(super) fn fonts() -> Result<&'static Fonts, RenderError> {
    static FONTS: OnceLock<Result<Fonts, RenderError>> = OnceLock::new();
    FONTS
        .get_or_init(|| {
            Ok(Fonts {
                regular: Face::load("DejaVuSans", REGULAR_TTF, Ref::new(super::pdf::REGULAR_OBJ))?,
                bold: Face::load("DejaVuSans-Bold", BOLD_TTF, Ref::new(super::pdf::BOLD_OBJ))?,
            })
        })
        .as_ref()
        .map_err(Clone::clone)
}

fn rd16(d: &[u8], at: usize) -> Option<u16> {
    Some(u16::from_be_bytes([*d.get(at)?, *d.get(at + 1)?]))
}

fn rd16s(d: &[u8], at: usize) -> Option<f32> {
    Some(f32::from(i16::from_be_bytes([*d.get(at)?, *d.get(at + 1)?])))
}

fn rd32(d: &[u8], at: usize) -> Option<u32> {
    Some(u32::from_be_bytes([*d.get(at)?, *d.get(at + 1)?, *d.get(at + 2)?, *d.get(at + 3)?]))
}

/// One TrueType face: the tables needed to map characters to glyphs
/// (cmap format 4) and to measure them (hmtx), the values of its font
/// descriptor, and its base subset ready to copy into documents.
pub(super) struct Face {
    name: &'static str,
    /// The font without hinting ([`unhinted`]).
    data: Vec<u8>,
    units_per_em: f32,
    num_h_metrics: usize,
    hmtx: usize,
    cmap4: usize,
    /// Glyph id and advance width of U+0000..[`LATIN_TABLE`].
    latin: Vec<(u16, u16)>,
    /// Font bounding box, ascent, descent (PDF glyph space, 1/1000 em).
    bbox: [f32; 4],
    ascent: f32,
    descent: f32,
    /// Vertical stem width, estimated from the weight class as krilla and
    /// other writers do (the font does not store it).
    stem_v: f32,
    /// The object number of the Type0 font; the others follow it.
    first: Ref,
    /// The base characters by CID (index 0 is `.notdef`).
    base: Vec<char>,
    /// CID of the base characters below U+0100 (0: not a base character).
    base_latin1: [u16; 256],
    /// The font objects of the base subset, serialised.
    base_objects: Chunk,
}

impl Face {
    fn load(name: &'static str, ttf: &'static [u8], first: Ref) -> Result<Face, RenderError> {
        let data = unhinted(ttf).ok_or(RenderError::Font(name))?;
        let mut face = Face::parse(name, data, first).ok_or(RenderError::Font(name))?;
        let mut base = vec!['\0'];
        for (lo, hi) in BASE_RANGES {
            base.extend(lo..=hi);
        }
        base.extend(BASE_PUNCTUATION);
        for (cid, &c) in base.iter().enumerate().skip(1) {
            if let Some(slot) = face.base_latin1.get_mut(c as usize) {
                *slot = u16::try_from(cid).map_err(|_| RenderError::Font(name))?;
            }
        }
        face.base = base;
        face.base_objects = face.objects(&face.base, BEST)?;
        Ok(face)
    }

    fn parse(name: &'static str, data: Vec<u8>, first: Ref) -> Option<Face> {
        let all = tables(&data)?;
        let table = |tag: &[u8; 4]| all.iter().find(|t| &t.0 == tag).map(|t| t.1);
        let (head, hhea, hmtx, cmap) = (table(b"head")?, table(b"hhea")?, table(b"hmtx")?, table(b"cmap")?);
        let os2 = table(b"OS/2");
        let d = &data[..];
        let mut cmap4 = None;
        for j in 0..usize::from(rd16(d, cmap + 2)?) {
            let rec = cmap + 4 + 8 * j;
            let (platform, encoding) = (rd16(d, rec)?, rd16(d, rec + 2)?);
            let sub = cmap + usize::try_from(rd32(d, rec + 4)?).ok()?;
            if matches!((platform, encoding), (3, 1) | (0, 3)) && rd16(d, sub)? == 4 {
                cmap4 = Some(sub);
                break;
            }
        }
        let units_per_em = f32::from(rd16(d, head + 18)?);
        let scale = 1000.0 / units_per_em;
        let weight = os2.and_then(|o| rd16(d, o + 4)).unwrap_or(400);
        let num_h_metrics = usize::from(rd16(d, hhea + 34)?).max(1);
        let bbox = [
            rd16s(d, head + 36)? * scale,
            rd16s(d, head + 38)? * scale,
            rd16s(d, head + 40)? * scale,
            rd16s(d, head + 42)? * scale,
        ];
        let (ascent, descent) = (rd16s(d, hhea + 4)? * scale, rd16s(d, hhea + 6)? * scale);
        let mut face = Face {
            name,
            data,
            units_per_em,
            num_h_metrics,
            hmtx,
            cmap4: cmap4?,
            latin: Vec::new(),
            bbox,
            ascent,
            descent,
            stem_v: 10.0 + 0.244 * (f32::from(weight) - 50.0),
            first,
            base: Vec::new(),
            base_latin1: [0; 256],
            base_objects: Chunk::new(),
        };
        face.latin = (0..LATIN_TABLE)
            .map(|u| {
                let gid = u32::try_from(u).ok().and_then(char::from_u32).and_then(|c| face.cmap_glyph(c)).unwrap_or(0);
                (gid, face.hmtx_advance(gid))
            })
            .collect();
        Some(face)
    }

    /// The glyph of `c`, or `None` if the font has none.
    fn glyph(&self, c: char) -> Option<u16> {
        match self.latin.get(c as usize) {
            Some(&(gid, _)) => (gid != 0).then_some(gid),
            None => self.cmap_glyph(c),
        }
    }

    /// Looks `c` up in the cmap (format 4: the Basic Multilingual Plane).
    fn cmap_glyph(&self, c: char) -> Option<u16> {
        let code = u16::try_from(u32::from(c)).ok()?;
        let (d, t) = (&self.data[..], self.cmap4);
        let seg_x2 = usize::from(rd16(d, t + 6)?);
        let ends = t + 14;
        let starts = ends + seg_x2 + 2;
        let deltas = starts + seg_x2;
        let ranges = deltas + seg_x2;
        // Binary search the first segment whose end >= code.
        let (mut lo, mut hi) = (0usize, seg_x2 / 2);
        while lo < hi {
            let mid = (lo + hi) / 2;
            if rd16(d, ends + 2 * mid)? < code {
                lo = mid + 1;
            } else {
                hi = mid;
            }
        }
        let i = lo;
        let start = rd16(d, starts + 2 * i)?;
        if code < start {
            return None;
        }
        let delta = rd16(d, deltas + 2 * i)?;
        let range = usize::from(rd16(d, ranges + 2 * i)?);
        let gid = if range == 0 {
            code.wrapping_add(delta)
        } else {
            let g = rd16(d, ranges + 2 * i + range + 2 * usize::from(code - start))?;
            if g == 0 {
                return None;
            }
            g.wrapping_add(delta)
        };
        (gid != 0).then_some(gid)
    }

    fn hmtx_advance(&self, gid: u16) -> u16 {
        let i = usize::from(gid).min(self.num_h_metrics - 1);
        rd16(&self.data, self.hmtx + 4 * i).unwrap_or(0)
    }

    /// Advance width of `c` in font units (`.notdef`'s for a character the
    /// font lacks, which is what gets drawn).
    fn advance(&self, c: char) -> u16 {
        match self.latin.get(c as usize) {
            Some(&(_, w)) => w,
            None => self.hmtx_advance(self.cmap_glyph(c).unwrap_or(0)),
        }
    }

    /// Width of `s` at `size` points (advance widths added up; kerning is
    /// neither measured nor drawn).
    pub fn width(&self, s: &str, size: f32) -> f32 {
        let units: u32 = s.chars().map(|c| u32::from(self.advance(c))).sum();
        units as f32 / self.units_per_em * size
    }

    /// CID of a base character, if it is one.
    fn base_cid(&self, c: char) -> Option<u16> {
        match self.base_latin1.get(c as usize) {
            Some(&cid) => (cid != 0).then_some(cid),
            None => {
                let at = BASE_PUNCTUATION.iter().position(|&p| p == c)?;
                u16::try_from(self.base.len() - BASE_PUNCTUATION.len() + at).ok()
            }
        }
    }

    /// The font objects for the characters `chars` (indexed by CID; index 0
    /// is `.notdef`), serialised with this face's object numbers.
    fn objects(&self, chars: &[char], level: u32) -> Result<Chunk, RenderError> {
        let err = |what: &str| RenderError::Pdf(format!("font {}: {what}", self.name));
        let mut remapper = subsetter::GlyphRemapper::new();
        let mut cid_to_gid = Vec::with_capacity(2 * chars.len());
        let mut widths = Vec::with_capacity(chars.len());
        let mut cmap = UnicodeCmap::new(Name(b"Custom"), system_info());
        for (cid, &c) in chars.iter().enumerate() {
            let gid = if cid == 0 { 0 } else { self.glyph(c).unwrap_or(0) };
            cid_to_gid.extend(remapper.remap(gid).to_be_bytes());
            widths.push(f32::from(self.hmtx_advance(gid)) * 1000.0 / self.units_per_em);
            if cid > 0 {
                cmap.pair(u16::try_from(cid).map_err(|_| err("too many characters"))?, c);
            }
        }
        let font_file = subsetter::subset(&self.data, 0, &remapper).map_err(|e| err(&e.to_string()))?;

        // A subset's name starts with a tag of six capital letters naming
        // that subset (PDF 32000-1, 9.6.4); this one is derived from the
        // characters, so that the same characters give the same name.
        let hash = chars.iter().fold(xxhash_rust::xxh3::xxh3_64(self.name.as_bytes()), |h, &c| {
            xxhash_rust::xxh3::xxh3_64_with_seed(&u32::from(c).to_le_bytes(), h)
        });
        let tag: String = (0..6).map(|i| char::from(b'A' + ((hash >> (5 * i)) % 26) as u8)).collect();
        let base_font = format!("{tag}+{}", self.name);
        let base_font = Name(base_font.as_bytes());

        let ids: Vec<Ref> = (0..FONT_OBJECTS).map(|i| Ref::new(self.first.get() + i)).collect();
        let [type0, cid_font, descriptor, file, to_unicode, gid_map] = ids[..] else {
            return Err(err("object numbers"));
        };
        let mut chunk = Chunk::with_settings(Settings { pretty: false });
        chunk
            .type0_font(type0)
            .base_font(base_font)
            .encoding_predefined(Name(b"Identity-H"))
            .descendant_font(cid_font)
            .to_unicode(to_unicode);
        let mut cid = chunk.cid_font(cid_font);
        cid.subtype(CidFontType::Type2)
            .base_font(base_font)
            .system_info(system_info())
            .font_descriptor(descriptor)
            .default_width(0.0)
            .cid_to_gid_map_stream(gid_map);
        cid.widths().consecutive(0, widths);
        cid.finish();
        let [x0, y0, x1, y1] = self.bbox;
        chunk
            .font_descriptor(descriptor)
            .name(base_font)
            .flags(FontFlags::SYMBOLIC)
            .bbox(Rect::new(x0, y0, x1, y1))
            .italic_angle(0.0)
            .ascent(self.ascent)
            .descent(self.descent)
            .cap_height(self.ascent)
            .stem_v(self.stem_v)
            .font_file2(file);
        let length1 = i32::try_from(font_file.len()).map_err(|_| err("font file too large"))?;
        chunk.stream(file, &deflate(&font_file, level)?).filter(Filter::FlateDecode).pair(Name(b"Length1"), length1);
        chunk.cmap(to_unicode, &deflate(cmap.finish().as_slice(), level)?).filter(Filter::FlateDecode);
        chunk.stream(gid_map, &deflate(&cid_to_gid, level)?).filter(Filter::FlateDecode);
        Ok(chunk)
    }
}

/// The tables of a TrueType font: tag, offset and length (table range
/// checked against the data).
fn tables(data: &[u8]) -> Option<Vec<([u8; 4], usize, usize)>> {
    (0..usize::from(rd16(data, 4)?))
        .map(|i| {
            let rec = 12 + 16 * i;
            let tag: [u8; 4] = data.get(rec..rec + 4)?.try_into().ok()?;
            let off = usize::try_from(rd32(data, rec + 8)?).ok()?;
            let len = usize::try_from(rd32(data, rec + 12)?).ok()?;
            data.get(off..off.checked_add(len)?)?;
            Some((tag, off, len))
        })
        .collect()
}

/// The font `ttf` without its TrueType hinting: the glyph programs in
/// `glyf` and the `cvt `, `fpgm` and `prep` tables. Hints only snap
/// outlines to the pixel grid at small sizes on screens; print and
/// anti-aliased viewers do without them, and they are half the bytes of
/// DejaVu's glyphs, so every embedded subset is half the size. The glyphs'
/// outlines and metrics are unchanged; `loca` is rewritten in the long
/// format.
fn unhinted(ttf: &[u8]) -> Option<Vec<u8>> {
    const HINTING: [&[u8; 4]; 3] = [b"cvt ", b"fpgm", b"prep"];
    let tables = tables(ttf)?;
    let table = |tag: &[u8; 4]| tables.iter().find(|t| &t.0 == tag).map(|&(_, off, len)| &ttf[off..off + len]);
    let (head, maxp, loca, glyf) = (table(b"head")?, table(b"maxp")?, table(b"loca")?, table(b"glyf")?);
    let num_glyphs = usize::from(rd16(maxp, 4)?);
    let long = rd16(head, 50)? == 1;
    let offset = |i: usize| -> Option<usize> {
        if long {
            usize::try_from(rd32(loca, 4 * i)?).ok()
        } else {
            Some(2 * usize::from(rd16(loca, 2 * i)?))
        }
    };
    let mut new_glyf = Vec::with_capacity(glyf.len());
    let mut new_loca = Vec::with_capacity(4 * (num_glyphs + 1));
    for i in 0..num_glyphs {
        new_loca.extend(u32::try_from(new_glyf.len()).ok()?.to_be_bytes());
        let glyph = glyf.get(offset(i)?..offset(i + 1)?)?;
        strip_glyph(glyph, &mut new_glyf)?;
        while new_glyf.len() % 4 != 0 {
            new_glyf.push(0);
        }
    }
    new_loca.extend(u32::try_from(new_glyf.len()).ok()?.to_be_bytes());
    let mut new_head = head.to_vec();
    new_head.get_mut(50..52)?.copy_from_slice(&1u16.to_be_bytes());
    // checksumAdjustment counts as zero in the checksums; set at the end.
    new_head.get_mut(8..12)?.fill(0);

    let mut out_tables: Vec<([u8; 4], &[u8])> = Vec::new();
    for &(tag, off, len) in &tables {
        let data: &[u8] = match &tag {
            b"glyf" => &new_glyf,
            b"loca" => &new_loca,
            b"head" => &new_head,
            t if HINTING.contains(&t) => continue,
            _ => &ttf[off..off + len],
        };
        out_tables.push((tag, data));
    }
    Some(write_sfnt(&out_tables))
}

/// Appends `glyph` (one `glyf` entry) without its instructions.
fn strip_glyph(glyph: &[u8], out: &mut Vec<u8>) -> Option<()> {
    if glyph.is_empty() {
        return Some(());
    }
    let contours = i16::from_be_bytes([*glyph.first()?, *glyph.get(1)?]);
    if let Ok(contours) = usize::try_from(contours) {
        // Simple glyph: header, end points, instruction length and
        // instructions, then flags and coordinates.
        let at = 10 + 2 * contours;
        let len = usize::from(rd16(glyph, at)?);
        out.extend_from_slice(glyph.get(..at)?);
        out.extend_from_slice(&[0, 0]);
        out.extend_from_slice(glyph.get(at + 2 + len..)?);
    } else {
        // Composite glyph: components, then the instructions if a
        // component has WE_HAVE_INSTRUCTIONS.
        const ARGS_ARE_WORDS: u16 = 0x0001;
        const HAVE_SCALE: u16 = 0x0008;
        const MORE_COMPONENTS: u16 = 0x0020;
        const HAVE_XY_SCALE: u16 = 0x0040;
        const HAVE_2X2: u16 = 0x0080;
        const HAVE_INSTRUCTIONS: u16 = 0x0100;
        let start = out.len();
        let mut at = 10;
        loop {
            let flags = rd16(glyph, at)?;
            let flag_at = start + at;
            at += 4 + if flags & ARGS_ARE_WORDS != 0 { 4 } else { 2 };
            at += if flags & HAVE_SCALE != 0 {
                2
            } else if flags & HAVE_XY_SCALE != 0 {
                4
            } else if flags & HAVE_2X2 != 0 {
                8
            } else {
                0
            };
            out.extend_from_slice(glyph.get(out.len() - start..at)?);
            out.get_mut(flag_at..flag_at + 2)?.copy_from_slice(&(flags & !HAVE_INSTRUCTIONS).to_be_bytes());
            if flags & MORE_COMPONENTS == 0 {
                break;
            }
        }
    }
    Some(())
}

/// A TrueType font file of `tables` (tags in ascending order as in the
/// source), each 4-byte aligned, with checksums; `head`'s
/// checksumAdjustment must be zero and is set here.
fn write_sfnt(tables: &[([u8; 4], &[u8])]) -> Vec<u8> {
    fn checksum(data: &[u8]) -> u32 {
        data.chunks(4).fold(0u32, |sum, c| {
            let mut word = [0u8; 4];
            word[..c.len()].copy_from_slice(c);
            sum.wrapping_add(u32::from_be_bytes(word))
        })
    }
    let n = tables.len();
    let n16 = u16::try_from(n).unwrap_or(u16::MAX);
    let selector = u16::try_from(n.max(1).ilog2()).unwrap_or(0);
    let range = 16u16.wrapping_shl(u32::from(selector));
    let mut out = Vec::new();
    out.extend(0x0001_0000u32.to_be_bytes());
    for v in [n16, range, selector, n16.wrapping_mul(16).wrapping_sub(range)] {
        out.extend(v.to_be_bytes());
    }
    let mut offset = 12 + 16 * n;
    let mut head_at = None;
    for (tag, data) in tables {
        if tag == b"head" {
            head_at = Some(offset);
        }
        out.extend_from_slice(tag);
        out.extend(checksum(data).to_be_bytes());
        out.extend(u32::try_from(offset).unwrap_or(0).to_be_bytes());
        out.extend(u32::try_from(data.len()).unwrap_or(0).to_be_bytes());
        offset += data.len().next_multiple_of(4);
    }
    for (_, data) in tables {
        out.extend_from_slice(data);
        out.resize(out.len().next_multiple_of(4), 0);
    }
    if let Some(at) = head_at {
        let adjust = 0xB1B0_AFBAu32.wrapping_sub(checksum(&out));
        out[at + 8..at + 12].copy_from_slice(&adjust.to_be_bytes());
    }
    out
}

fn system_info() -> SystemInfo<'static> {
    SystemInfo { registry: Str(b"Adobe"), ordering: Str(b"Identity"), supplement: 0 }
}

/// Zlib-compresses `data` (the `FlateDecode` filter) at `level` (0-9).
///
/// # Errors
/// [`RenderError::Pdf`] if the compressor fails.
fn deflate(data: &[u8], level: u32) -> Result<Vec<u8>, RenderError> {
    let mut z = ZlibEncoder::new(Vec::with_capacity(data.len() / 2 + 64), Compression::new(level));
    z.write_all(data).and_then(|()| z.finish()).map_err(|e| RenderError::Pdf(format!("deflate: {e}")))
}

/// Codes the characters of one document in one face: base characters get
/// their fixed CIDs, others the next free CID on first use.
pub(super) struct Encoder<'f> {
    face: &'f Face,
    /// The other characters by CID, from `face.base.len()` on.
    other: Vec<char>,
    /// Their CIDs.
    other_cid: BTreeMap<char, u16>,
}

impl<'f> Encoder<'f> {
    pub fn new(face: &'f Face) -> Encoder<'f> {
        Encoder { face, other: Vec::new(), other_cid: BTreeMap::new() }
    }

    /// The CID of `c`. The no-break space is drawn as a space. Past 65 535
    /// distinct characters (never in a real document) `.notdef` is drawn.
    pub fn cid(&mut self, c: char) -> u16 {
        let c = if c == super::text::NBSP { ' ' } else { c };
        if let Some(cid) = self.face.base_cid(c) {
            return cid;
        }
        if let Some(&cid) = self.other_cid.get(&c) {
            return cid;
        }
        let Ok(cid) = u16::try_from(self.face.base.len() + self.other.len()) else {
            return 0;
        };
        self.other.push(c);
        self.other_cid.insert(c, cid);
        cid
    }

    /// Appends this face's font objects to `chunk`: the shared base subset
    /// when the document used only base characters, otherwise a subset of
    /// its own.
    ///
    /// # Errors
    /// [`RenderError::Font`] if the subset cannot be made.
    pub fn write_font(&self, chunk: &mut Chunk) -> Result<(), RenderError> {
        if self.other.is_empty() {
            chunk.extend(&self.face.base_objects);
        } else {
            let mut chars = self.face.base.clone();
            chars.extend_from_slice(&self.other);
            chunk.extend(&self.face.objects(&chars, DEFAULT)?);
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn measures_dejavu() {
        let f = fonts().unwrap();
        // DejaVu Sans: 'a' and 'ö' have advances; wider text is wider.
        let a = f.regular.width("a", 10.0);
        assert!(a > 4.0 && a < 8.0, "{a}");
        assert!(f.regular.width("Åsa Öberg", 10.0) > f.regular.width("Asa", 10.0));
        assert!(f.bold.width("W", 10.0) > f.regular.width("W", 10.0));
        assert!(f.regular.glyph('ä').is_some());
        assert!(f.regular.glyph('\u{2013}').is_some());
        // A character beyond the table is measured from the cmap.
        assert!(f.regular.width("\u{3a9}", 10.0) > 0.0);
        assert_eq!(f.regular.glyph('\u{4e2d}'), None, "no CJK in DejaVu Sans");
    }

    #[test]
    fn unhinted_keeps_glyphs_and_metrics() {
        let plain = unhinted(REGULAR_TTF).unwrap();
        let tags: Vec<[u8; 4]> = tables(&plain).unwrap().iter().map(|t| t.0).collect();
        assert!(!tags.contains(b"fpgm") && !tags.contains(b"prep") && !tags.contains(b"cvt "));
        assert!(tags.contains(b"glyf") && tags.contains(b"hmtx") && tags.contains(b"cmap"));
        let size = |ttf: &[u8]| tables(ttf).unwrap().iter().find(|t| &t.0 == b"glyf").unwrap().2;
        assert!(size(&plain) < size(REGULAR_TTF) * 9 / 10, "{} vs {}", size(&plain), size(REGULAR_TTF));
        // Same glyphs and widths as the hinted font.
        let hinted = Face::parse("DejaVuSans", REGULAR_TTF.to_vec(), Ref::new(1)).unwrap();
        let face = Face::parse("DejaVuSans", plain.clone(), Ref::new(1)).unwrap();
        for c in ['a', 'Å', 'ö', '€', 'Ω', 'ж', '\u{fb01}'] {
            assert_eq!(face.glyph(c), hinted.glyph(c), "{c}");
            assert_eq!(face.advance(c), hinted.advance(c), "{c}");
        }
        // A valid font file: the whole-file checksum is 0xB1B0AFBA.
        let sum = plain.chunks(4).fold(0u32, |s, c| {
            let mut w = [0u8; 4];
            w[..c.len()].copy_from_slice(c);
            s.wrapping_add(u32::from_be_bytes(w))
        });
        assert_eq!(sum, 0xB1B0_AFBA);
        // Subsets of it are made, composite glyphs (Å) included.
        let mut remapper = subsetter::GlyphRemapper::new();
        remapper.remap(face.glyph('Å').unwrap());
        assert!(subsetter::subset(&plain, 0, &remapper).is_ok());
    }

    #[test]
    fn base_characters_have_fixed_cids() {
        let f = fonts().unwrap();
        let mut e = Encoder::new(&f.regular);
        assert_eq!(e.cid(' '), 1);
        assert_eq!(e.cid('A'), 1 + u16::from(b'A' - b' '));
        assert_eq!(e.cid(super::super::text::NBSP), 1, "drawn as a space");
        let euro = e.cid('€');
        assert_eq!(usize::from(euro), f.regular.base.len() - 1);
        assert!(e.other.is_empty());
        // Others are numbered on from the base, once each.
        let first = e.cid('Ω');
        assert_eq!(usize::from(first), f.regular.base.len());
        assert_eq!(e.cid('中'), first + 1);
        assert_eq!(e.cid('Ω'), first);
        let mut chunk = Chunk::new();
        e.write_font(&mut chunk).unwrap();
        assert!(chunk.len() > 1000);
    }
}
