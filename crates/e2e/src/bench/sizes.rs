//! What a first visit downloads: each file of the built app, raw and as a server would send it
//! compressed (gzip level 9, brotli quality 11: what static hosts precompress with).

use std::io::Write as _;
use std::path::Path;

use serde_json::{json, Value};

use crate::{Error, Result};

/// One file's size, raw and compressed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileSize {
    pub name: String,
    pub raw: u64,
    pub gzip: u64,
    pub brotli: u64,
}

impl FileSize {
    pub fn of(name: &str, bytes: &[u8]) -> Result<FileSize> {
        let mut gzip = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
        gzip.write_all(bytes).map_err(Error::io(format!("gzipping {name}")))?;
        let gzip = gzip.finish().map_err(Error::io(format!("gzipping {name}")))?;
        let mut brotli = Vec::new();
        let params = brotli::enc::BrotliEncoderParams { quality: 11, lgwin: 24, ..Default::default() };
        brotli::BrotliCompress(&mut &bytes[..], &mut brotli, &params).map_err(Error::io(format!("compressing {name} with brotli")))?;
        Ok(FileSize { name: name.to_owned(), raw: bytes.len() as u64, gzip: gzip.len() as u64, brotli: brotli.len() as u64 })
    }

    pub fn to_json(&self) -> Value {
        json!({ "name": self.name, "raw_bytes": self.raw, "gzip_bytes": self.gzip, "brotli_bytes": self.brotli })
    }
}

/// The files of `dist` (not recursing), by name.
pub fn dist_sizes(dist: &Path) -> Result<Vec<FileSize>> {
    let mut sizes = Vec::new();
    for entry in std::fs::read_dir(dist).map_err(Error::io(format!("listing {}", dist.display())))? {
        let path = entry.map_err(Error::io(format!("listing {}", dist.display())))?.path();
        if path.is_file() {
            let bytes = std::fs::read(&path).map_err(Error::io(format!("reading {}", path.display())))?;
            sizes.push(FileSize::of(&path.file_name().unwrap_or_default().to_string_lossy(), &bytes)?);
        }
    }
    sizes.sort_by(|a, b| a.name.cmp(&b.name));
    Ok(sizes)
}

/// The sum of `sizes` whose names `pick` takes.
pub fn total(sizes: &[FileSize], pick: impl Fn(&str) -> bool) -> FileSize {
    sizes.iter().filter(|s| pick(&s.name)).fold(FileSize { name: String::new(), raw: 0, gzip: 0, brotli: 0 }, |sum, s| FileSize {
        name: sum.name,
        raw: sum.raw + s.raw,
        gzip: sum.gzip + s.gzip,
        brotli: sum.brotli + s.brotli,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn compressed_sizes_are_real_and_smaller_for_repetitive_bytes() {
        let repetitive = b"blixtra ".repeat(1000);
        let size = FileSize::of("a.wasm", &repetitive).expect("compresses");
        assert_eq!(size.raw, 8000);
        assert!(size.gzip < 200 && size.brotli < 200 && size.gzip > 0 && size.brotli > 0, "{size:?}");
        // Random-looking bytes do not shrink.
        let mut state: u64 = 0x9E37_79B9_7F4A_7C15;
        let noise: Vec<u8> = (0..4096)
            .map(|_| {
                // xorshift64: bytes without structure for a compressor to find.
                state ^= state << 13;
                state ^= state >> 7;
                state ^= state << 17;
                (state >> 56) as u8
            })
            .collect();
        let size = FileSize::of("b.wasm", &noise).expect("compresses");
        assert!(size.gzip > 3000, "{size:?}");
    }

    #[test]
    fn a_directory_is_listed_and_summed() {
        let dir = tempfile::tempdir().expect("a temporary directory");
        std::fs::write(dir.path().join("app_bg.wasm"), b"\0asm".repeat(100)).expect("written");
        std::fs::write(dir.path().join("app.js"), b"export {}").expect("written");
        let sizes = dist_sizes(dir.path()).expect("listed");
        assert_eq!(sizes.iter().map(|s| s.name.as_str()).collect::<Vec<_>>(), ["app.js", "app_bg.wasm"]);
        assert_eq!(total(&sizes, |name| name.ends_with(".wasm")).raw, 400);
        assert_eq!(total(&sizes, |_| true).raw, 409);
    }
}
