//! One country however an export writes it: `Germany`, `Deutschland`, `DE`, `DEU`, `Allemagne`,
//! `آلمان` are Germany. A shop's sales system and its CRM (or its old and new platform) seldom
//! agree on the spelling, and the segment job would otherwise count each spelling as a country of
//! its own: the ideal customer's country split in pieces, each understated or withheld under the
//! minimum group size.
//!
//! The table holds the countries a European or Iranian shop's customers live in, not all of
//! ISO 3166: a value it does not know is kept as written, so a missing country costs only the
//! merging of its spellings, never the value. It is read once, into a sorted index of folded
//! names (see [`fold`]), so that a spelling is found by one binary search.

use std::sync::OnceLock;

/// One country a line: ISO 3166-1 alpha-2 and alpha-3 code, then its names separated by `|`,
/// the English name shown first. Names are written as people write them (accents, Persian and
/// Arabic letters, spaces and punctuation): they are folded as the looked-up value is. Names
/// other countries could also claim are left out: the bare `آذربایجان` is also two Iranian
/// provinces, `Scotland` and `Wales` are in the United Kingdom but tell its parts apart (the
/// looser `England` is often written for the whole of it and is read so).
const TABLE: &str = "\
AD AND Andorra|Andorre
AE ARE United Arab Emirates|UAE|U.A.E.|Emirates|Vereinigte Arabische Emirate|Émirats arabes unis|Verenigde Arabische Emiraten|Emiratos Árabes Unidos|Emirati Arabi Uniti|Birleşik Arap Emirlikleri|امارات|امارات متحده عربی|الإمارات|الإمارات العربية المتحدة
AF AFG Afghanistan|Afganistán|Afganistan|افغانستان|أفغانستان
AL ALB Albania|Albanien|Albanie|Albanië|Arnavutluk|Shqipëri|Shqipëria|آلبانی|ألبانيا
AM ARM Armenia|Armenien|Arménie|Armenië|Ermenistan|Հայաստան|ارمنستان|أرمينيا
AR ARG Argentina|Argentinien|Argentine|Argentinië|Arjantin|آرژانتین|الأرجنتين
AT AUT Austria|Österreich|Oesterreich|Autriche|Oostenrijk|Avusturya|اتریش|النمسا
AU AUS Australia|Australien|Australie|Australië|Avustralya|استرالیا|أستراليا
AZ AZE Azerbaijan|Republic of Azerbaijan|Aserbaidschan|Azerbaïdjan|Azerbeidzjan|Azerbaiyán|Azerbaigian|Azerbaycan|Azərbaycan|جمهوری آذربایجان|أذربيجان
BA BIH Bosnia and Herzegovina|Bosnia & Herzegovina|Bosnia|Bosnien und Herzegowina|Bosnien-Herzegowina|Bosnie-Herzégovine|Bosnië en Herzegovina|Bosnia y Herzegovina|Bosnia ed Erzegovina|Bosna Hersek|Bosna i Hercegovina|بوسنی و هرزگوین|البوسنة والهرسك
BE BEL Belgium|Belgien|Belgique|België|Bélgica|Belgio|Belçika|بلژیک|بلجيكا
BG BGR Bulgaria|Bulgarien|Bulgarie|Bulgarije|Bulgaristan|България|بلغارستان|بلغاريا
BH BHR Bahrain|Bahreïn|Bahrein|Baréin|Bahreyn|بحرین|البحرين
BR BRA Brazil|Brasil|Brasilien|Brésil|Brazilië|Brasile|Brezilya|برزیل|البرازيل
BY BLR Belarus|Weißrussland|Weissrussland|Biélorussie|Wit-Rusland|Bielorrusia|Bielorussia|Beyaz Rusya|Беларусь|بلاروس|روسيا البيضاء
CA CAN Canada|Kanada|Canadá|کانادا|كندا
CH CHE Switzerland|Schweiz|Suisse|Svizzera|Zwitserland|Suiza|İsviçre|سوئیس|سويسرا
CL CHL Chile|Chili|Şili|شیلی|تشيلي
CN CHN China|People's Republic of China|PRC|Chine|Cina|Çin|中国|چین|الصين
CO COL Colombia|Kolumbien|Colombie|Kolombiya|کلمبیا|كولومبيا
CY CYP Cyprus|Zypern|Chypre|Chipre|Cipro|Kıbrıs|قبرس|قبرص
CZ CZE Czechia|Czech Republic|Tschechien|Tschechische Republik|Tchéquie|République tchèque|Tsjechië|Chequia|República Checa|Cechia|Repubblica Ceca|Çekya|Çek Cumhuriyeti|Česko|Česká republika|جمهوری چک|چک|التشيك
DE DEU Germany|GER|Federal Republic of Germany|Deutschland|Bundesrepublik Deutschland|BRD|Allemagne|Duitsland|Alemania|Germania|Almanya|آلمان|ألمانيا
DK DNK Denmark|Dänemark|Danemark|Denemarken|Dinamarca|Danimarca|Danimarka|Danmark|دانمارک|الدنمارك
DZ DZA Algeria|Algerien|Algérie|Algerije|Argelia|Cezayir|الجزایر|الجزائر
EE EST Estonia|Estland|Estonie|Estonya|Eesti|استونی|إستونيا
EG EGY Egypt|Ägypten|Égypte|Egypte|Egipto|Egitto|Mısır|مصر
ES ESP Spain|Spanien|Espagne|Spanje|España|Spagna|İspanya|اسپانیا|إسبانيا
FI FIN Finland|Finnland|Finlande|Finlandia|Finlandiya|Suomi|فنلاند|فنلندا
FR FRA France|Frankreich|Frankrijk|Francia|Fransa|فرانسه|فرنسا
GB GBR United Kingdom|UK|U.K.|Great Britain|Britain|England|United Kingdom of Great Britain and Northern Ireland|Vereinigtes Königreich|Großbritannien|Grossbritannien|Royaume-Uni|Grande-Bretagne|Angleterre|Verenigd Koninkrijk|Groot-Brittannië|Engeland|Reino Unido|Gran Bretaña|Inglaterra|Regno Unito|Gran Bretagna|Inghilterra|Birleşik Krallık|İngiltere|بریتانیا|بریتانیای کبیر|پادشاهی متحده|انگلستان|انگلیس|المملكة المتحدة|بريطانيا
GE GEO Georgia|Georgien|Géorgie|Georgië|Gürcistan|საქართველო|گرجستان|جورجيا
GR GRC Greece|Griechenland|Grèce|Griekenland|Grecia|Yunanistan|Hellas|Ελλάδα|یونان|اليونان
HK HKG Hong Kong|Hongkong|هنگ کنگ|هونغ كونغ
HR HRV Croatia|Kroatien|Croatie|Kroatië|Croacia|Croazia|Hırvatistan|Hrvatska|کرواسی|كرواتيا
HU HUN Hungary|Ungarn|Hongrie|Hongarije|Hungría|Ungheria|Macaristan|Magyarország|مجارستان|المجر
ID IDN Indonesia|Indonesien|Indonésie|Indonesië|Endonezya|اندونزی|إندونيسيا
IE IRL Ireland|Republic of Ireland|Irland|Irlande|Ierland|Irlanda|İrlanda|Éire|ایرلند|أيرلندا
IL ISR Israel|Israël|Israele|İsrail|اسرائیل|إسرائيل
IN IND India|Indien|Inde|Indië|Hindistan|هند|الهند
IQ IRQ Iraq|Irak|عراق|العراق
IR IRN Iran|Islamic Republic of Iran|Iran, Islamic Republic of|I.R. Iran|IRI|Persia|Irán|Irã|İran|ایران|جمهوری اسلامی ایران|ج.ا.ایران|ج.ا. ایران|الجمهورية الإسلامية الإيرانية
IS ISL Iceland|Island|Islande|IJsland|Islandia|Islanda|İzlanda|Ísland|ایسلند|آيسلندا
IT ITA Italy|Italien|Italie|Italië|Italia|İtalya|ایتالیا|إيطاليا
JO JOR Jordan|Jordanien|Jordanie|Jordanië|Jordania|Giordania|Ürdün|اردن|الأردن
JP JPN Japan|Japon|Japón|Giappone|Japonya|日本|ژاپن|اليابان
KG KGZ Kyrgyzstan|Kirgisistan|Kirghizistan|Kirgizië|Kirguistán|Kırgızistan|قرقیزستان|قيرغيزستان
KR KOR South Korea|Korea|Republic of Korea|Korea, Republic of|Südkorea|Corée du Sud|Zuid-Korea|Corea del Sur|Corea del Sud|Güney Kore|대한민국|کره جنوبی|كوريا الجنوبية
KW KWT Kuwait|Koweït|Koeweit|Kuveyt|کویت|الكويت
KZ KAZ Kazakhstan|Kasachstan|Kazachstan|Kazajistán|Kazakistan|قزاقستان|كازاخستان
LB LBN Lebanon|Libanon|Liban|Líbano|Libano|Lübnan|لبنان
LI LIE Liechtenstein|لیختن‌اشتاین
LT LTU Lithuania|Litauen|Lituanie|Litouwen|Lituania|Litvanya|Lietuva|لیتوانی|ليتوانيا
LU LUX Luxembourg|Luxemburg|Luxemburgo|Lussemburgo|Lüksemburg|لوکزامبورگ|لوكسمبورغ
LV LVA Latvia|Lettland|Lettonie|Letland|Letonia|Lettonia|Letonya|Latvija|لتونی|لاتفيا
MA MAR Morocco|Marokko|Maroc|Marruecos|Marocco|Fas|مراکش|المغرب
MC MCO Monaco|Mónaco|موناکو
MD MDA Moldova|Republic of Moldova|Moldawien|Moldavie|Moldavië|Moldavia|مولداوی|مولدوفا
ME MNE Montenegro|Monténégro|Karadağ|Crna Gora|مونته‌نگرو|الجبل الأسود
MK MKD North Macedonia|Macedonia|Nordmazedonien|Mazedonien|Macédoine du Nord|Macédoine|Noord-Macedonië|Macedonia del Norte|Macedonia del Nord|Kuzey Makedonya|Makedonya|مقدونیه شمالی|مقدونیه|مقدونيا الشمالية
MT MLT Malta|Malte|مالت|مالطا
MX MEX Mexico|México|Mexiko|Mexique|Messico|Meksika|مکزیک|المكسيك
MY MYS Malaysia|Malaisie|Maleisië|Malasia|Malesia|Malezya|مالزی|ماليزيا
NL NLD Netherlands|The Netherlands|Holland|Nederland|Niederlande|Pays-Bas|Países Bajos|Paesi Bassi|Hollanda|Olanda|هلند|هولندا
NO NOR Norway|Norwegen|Norvège|Noorwegen|Noruega|Norvegia|Norveç|Norge|نروژ|النرويج
NZ NZL New Zealand|Neuseeland|Nouvelle-Zélande|Nieuw-Zeeland|Nueva Zelanda|Nuova Zelanda|Yeni Zelanda|نیوزیلند|نيوزيلندا
OM OMN Oman|Omán|Umman|عمان|سلطنة عمان
PH PHL Philippines|Philippinen|Filipijnen|Filipinas|Filippine|Filipinler|فیلیپین|الفلبين
PK PAK Pakistan|Pakistán|پاکستان|باكستان
PL POL Poland|Polen|Pologne|Polonia|Polonya|Polska|لهستان|بولندا
PS PSE Palestine|State of Palestine|Palästina|Palestina|Filistin|فلسطین|فلسطين
PT PRT Portugal|Portogallo|Portekiz|پرتغال|البرتغال
QA QAT Qatar|Katar|قطر
RO ROU Romania|Rumänien|Roumanie|Roemenië|Rumania|Romanya|România|رومانی|رومانيا
RS SRB Serbia|Serbien|Serbie|Servië|Sırbistan|Srbija|Србија|صربستان|صربيا
RU RUS Russia|Russian Federation|Russland|Russie|Rusland|Rusia|Rusya|Россия|روسیه|روسيا
SA SAU Saudi Arabia|KSA|Kingdom of Saudi Arabia|Saudi-Arabien|Arabie saoudite|Saoedi-Arabië|Arabia Saudita|Arabia Saudí|Suudi Arabistan|عربستان|عربستان سعودی|السعودية|المملكة العربية السعودية
SE SWE Sweden|Schweden|Suède|Zweden|Suecia|Svezia|İsveç|Sverige|سوئد|السويد
SG SGP Singapore|Singapur|Singapour|سنگاپور|سنغافورة
SI SVN Slovenia|Slowenien|Slovénie|Slovenië|Eslovenia|Slovenya|Slovenija|اسلوونی|سلوفينيا
SK SVK Slovakia|Slowakei|Slovaquie|Slowakije|Eslovaquia|Slovacchia|Slovakya|Slovensko|اسلواکی|سلوفاكيا
SY SYR Syria|Syrian Arab Republic|Syrien|Syrie|Syrië|Siria|Suriye|سوریه|سوريا
TH THA Thailand|Thaïlande|Tailandia|Thailandia|Tayland|تایلند|تايلاند
TJ TJK Tajikistan|Tadschikistan|Tadjikistan|Tadzjikistan|Tayikistán|Tagikistan|Tacikistan|Тоҷикистон|تاجیکستان|طاجيكستان
TM TKM Turkmenistan|Turkmenistán|Türkmenistan|Turkménistan|ترکمنستان|تركمانستان
TN TUN Tunisia|Tunesien|Tunisie|Tunesië|Túnez|Tunus|تونس
TR TUR Türkiye|Turkey|Türkei|Turquie|Turkije|Turquía|Turchia|ترکیه|تركيا
TW TWN Taiwan|Taïwan|Taiwán|Tayvan|تایوان|تايوان
UA UKR Ukraine|Ucraina|Ucrania|Oekraïne|Ukrayna|Україна|اوکراین|أوكرانيا
US USA United States|United States of America|America|Vereinigte Staaten|Vereinigte Staaten von Amerika|États-Unis|Verenigde Staten|Estados Unidos|EE. UU.|EEUU|Stati Uniti|Stati Uniti d'America|Amerika Birleşik Devletleri|ABD|آمریکا|امریکا|ایالات متحده|ایالات متحده آمریکا|الولايات المتحدة|أمريكا
UZ UZB Uzbekistan|Usbekistan|Ouzbékistan|Oezbekistan|Uzbekistán|Özbekistan|ازبکستان|أوزبكستان
VN VNM Vietnam|Viet Nam|ویتنام|فيتنام
XK XKX Kosovo|Kosova|کوزوو|كوسوفو
ZA ZAF South Africa|Südafrika|Afrique du Sud|Zuid-Afrika|Sudáfrica|Sudafrica|Güney Afrika|آفریقای جنوبی|جنوب أفريقيا
";

/// A country of the table: its ISO 3166-1 alpha-2 code (`XK` for Kosovo, which ISO has not
/// assigned) and its English name, as outputs show it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Country {
    code: &'static str,
    name: &'static str,
}

/// Codes that are also words (English, French, Spanish): written in capitals they are the code
/// (`IN`, `NO`, `CAN`), otherwise the word (`no`, `in`, `it`, `and`, `can`: a form's "none", a
/// sentence's start), never a country.
const CODES_THAT_ARE_WORDS: [&str; 31] = [
    "am", "as", "at", "be", "by", "do", "go", "id", "in", "is", "it", "ma", "me", "my", "no", "on", "or",
    "so", "us", "and", "are", "arm", "can", "col", "est", "fin", "ind", "lie", "mar", "nor", "pol",
];

/// The country `raw` names, in any case, with or without accents, spaces or dots.
fn country(raw: &str) -> Option<Country> {
    let word = raw.trim();
    if (2..=3).contains(&word.len())
        && !word.bytes().all(|b| b.is_ascii_uppercase())
        && CODES_THAT_ARE_WORDS.contains(&word.to_ascii_lowercase().as_str())
    {
        return None;
    }
    let mut buf = [0u8; FOLDED_MAX];
    let key = fold(raw, &mut buf)?;
    let index = index();
    let i = index.keys.binary_search_by(|(k, _)| k.as_ref().cmp(key)).ok()?;
    Some(index.countries[usize::from(index.keys[i].1)])
}

/// How a country value is shown and grouped: the English name of a country the table knows,
/// else the value as written (never dropped: an unknown spelling is still a country).
pub(crate) fn country_shown(raw: &str) -> &str {
    match country(raw) {
        Some(c) => c.name,
        None => raw,
    }
}

/// Folded names longer than this are no country of the table (the longest is under 50 bytes).
const FOLDED_MAX: usize = 64;

/// Every name of the table, folded and sorted, with its country's position.
struct Index {
    keys: Vec<(Box<str>, u8)>,
    countries: Vec<Country>,
}

fn index() -> &'static Index {
    static INDEX: OnceLock<Index> = OnceLock::new();
    INDEX.get_or_init(|| {
        let mut keys = Vec::new();
        let mut countries = Vec::new();
        for line in TABLE.lines() {
            let mut parts = line.splitn(3, ' ');
            let (Some(alpha2), Some(alpha3), Some(names)) = (parts.next(), parts.next(), parts.next()) else {
                continue;
            };
            let at = u8::try_from(countries.len()).expect("fewer than 256 countries");
            let name = names.split('|').next().unwrap_or(alpha2);
            countries.push(Country { code: alpha2, name });
            for written in [alpha2, alpha3].into_iter().chain(names.split('|')) {
                let mut buf = [0u8; FOLDED_MAX];
                if let Some(key) = fold(written, &mut buf) {
                    keys.push((Box::from(key), at));
                }
            }
        }
        keys.sort_unstable();
        // A name two languages share ("Iran", "Portugal") is one key.
        keys.dedup();
        Index { keys, countries }
    })
}

/// The key a country is looked up by, written into `buf`: lower case, accents dropped (`ö` → `o`,
/// `ß` → `ss`, dotless `ı` → `i`), Arabic letter variants and presentation forms as the Persian
/// letters (see [`super::fold_char`]), and anything but letters and digits dropped (spaces, ZWNJ,
/// dots, commas, hyphens, brackets, apostrophes), so that `Iran, Islamic Republic of` and
/// `Iran (Islamic Republic of)` meet, as do `U.K.` and `UK`. `None` when too long for any name.
fn fold<'b>(raw: &str, buf: &'b mut [u8; FOLDED_MAX]) -> Option<&'b str> {
    let mut len = 0;
    let mut push = |c: char| -> Option<()> {
        let end = len + c.len_utf8();
        c.encode_utf8(buf.get_mut(len..end)?);
        len = end;
        Some(())
    };
    if raw.is_ascii() {
        // Nearly every value (the customers dataset's are looked up row by row).
        for b in raw.bytes().filter(u8::is_ascii_alphanumeric) {
            push(char::from(b.to_ascii_lowercase()))?;
        }
        return std::str::from_utf8(&buf[..len]).ok();
    }
    // Presentation forms (`ﺍﯾﺮﺍﻥ`, as some old software stores text) as their letters.
    for c in raw.chars().flat_map(super::presentation_letters) {
        let c = super::fold_char(c);
        if is_mark(c) || !c.is_alphanumeric() {
            continue;
        }
        match latin_base(c) {
            Some(b'*') => match c {
                'ß' => "ss",
                'Æ' | 'æ' => "ae",
                'Œ' | 'œ' => "oe",
                _ => "ij",
            }
            .chars()
            .try_for_each(&mut push)?,
            Some(base) => push(char::from(base))?,
            None => c.to_lowercase().try_for_each(&mut push)?,
        }
    }
    std::str::from_utf8(&buf[..len]).ok()
}

/// The unaccented lower-case letter of a Latin letter with an accent (U+00C0–U+017F, the
/// European languages' letters; `*` for the ligatures and `ß`, written as two letters). A table
/// of 192 bytes: Unicode decomposition would do the same for 70 kB of data in the segment Lambda.
fn latin_base(c: char) -> Option<u8> {
    const BASE: &[u8; 192] = b"aaaaaa*ceeeeiiiidnooooo-ouuuuyt*aaaaaa*ceeeeiiiidnooooo-ouuuuyty\
aaaaaaccccccccddddeeeeeeeeeegggggggghhhhiiiiiiiiii**jjkkkllllllllllnnnnnnnnnoooooo**rrrrrrssssssss\
ttttttuuuuuuuuuuuuwwyyyzzzzzzs";
    let i = (c as usize).checked_sub(0xC0)?;
    BASE.get(i).copied().filter(|&b| b != b'-')
}

/// Combining marks (accents typed as a letter and a mark, as macOS and some web forms send them;
/// the Arabic short vowels, madda and hamza) and the tatweel: none of them tells two countries
/// apart.
fn is_mark(c: char) -> bool {
    matches!(
        c,
        '\u{0300}'..='\u{036F}' | '\u{0640}' | '\u{064B}'..='\u{065F}' | '\u{0670}' | '\u{06D6}'..='\u{06ED}'
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn code(raw: &str) -> Option<&'static str> {
        country(raw).map(|c| c.code)
    }

    #[test]
    fn codes_that_are_words_count_in_capitals_only() {
        assert_eq!(code("NO"), Some("NO"));
        assert_eq!(code("IN"), Some("IN"));
        assert_eq!(code("US"), Some("US"));
        assert_eq!(code("CAN"), Some("CA"));
        for word in [
            "no", "No", "in", "it", "It", "us", " is ", "and", "can", "Can", "fin", "nor",
        ] {
            assert_eq!(code(word), None, "{word}");
            assert_eq!(country_shown(word), word);
        }
        // Other codes in any case, and names whatever their length.
        assert_eq!(code("de"), Some("DE"));
        assert_eq!(code("uk"), Some("GB"));
    }

    #[test]
    fn codes_names_and_local_names() {
        for (raw, want) in [
            ("DE", "DE"),
            ("de", "DE"),
            ("DEU", "DE"),
            ("Germany", "DE"),
            ("germany ", "DE"),
            ("  GERMANY", "DE"),
            ("Deutschland", "DE"),
            ("Allemagne", "DE"),
            ("Duitsland", "DE"),
            ("Almanya", "DE"),
            ("آلمان", "DE"),
            ("Österreich", "AT"),
            ("Osterreich", "AT"),
            ("Oesterreich", "AT"),
            ("AUT", "AT"),
            ("United Kingdom", "GB"),
            ("UK", "GB"),
            ("U.K.", "GB"),
            ("GB", "GB"),
            ("GBR", "GB"),
            ("Great Britain", "GB"),
            ("Großbritannien", "GB"),
            ("Grossbritannien", "GB"),
            ("Royaume-Uni", "GB"),
            ("Royaume Uni", "GB"),
            ("انگلیس", "GB"),
            ("USA", "US"),
            ("US", "US"),
            ("U.S.A.", "US"),
            ("United States", "US"),
            ("United States of America", "US"),
            ("Vereinigte Staaten", "US"),
            ("États-Unis", "US"),
            ("Etats-Unis", "US"),
            ("EE. UU.", "US"),
            ("آمریکا", "US"),
            ("Netherlands", "NL"),
            ("The Netherlands", "NL"),
            ("Holland", "NL"),
            ("NL", "NL"),
            ("Nederland", "NL"),
            ("Pays-Bas", "NL"),
            ("España", "ES"),
            ("Espana", "ES"),
            ("Italia", "IT"),
            ("Türkiye", "TR"),
            ("Turkiye", "TR"),
            ("Turkey", "TR"),
            ("Türkei", "TR"),
            ("ترکیه", "TR"),
            ("İspanya", "ES"),
            ("Schweiz", "CH"),
            ("Suisse", "CH"),
            ("Česko", "CZ"),
            ("Czech Republic", "CZ"),
            ("Danmark", "DK"),
            ("Emirates", "AE"),
            ("امارات", "AE"),
            ("الإمارات", "AE"),
            ("Irak", "IQ"),
            ("عراق", "IQ"),
            ("افغانستان", "AF"),
            ("Türkmenistan", "TM"),
            ("Azərbaycan", "AZ"),
            // `Ö` typed as `O` and a combining diaeresis.
            ("O\u{308}sterreich", "AT"),
            ("ÖSTERREICH", "AT"),
            ("ČESKO", "CZ"),
            ("Polska", "PL"),
            ("Magyarország", "HU"),
            ("România", "RO"),
            ("Türkmenistan", "TM"),
            ("Kıbrıs", "CY"),
            ("Ĳsland", "IS"),
            ("Weissrussland", "BY"),
            ("Weißrussland", "BY"),
        ] {
            assert_eq!(code(raw), Some(want), "{raw:?}");
        }
    }

    #[test]
    fn iran_however_written() {
        for raw in [
            "Iran",
            "IRAN",
            "iran ",
            "IR",
            "IRN",
            "Iran, Islamic Republic of",
            "Iran (Islamic Republic of)",
            "Islamic Republic of Iran",
            "I.R. Iran",
            "IR Iran",
            "I.R.Iran",
            "İran",
            "Irán",
            "ایران",
            // Arabic yeh, Arabic alef with hamza below, a tatweel, an RLM and a ZWNJ.
            "ايران",
            "إيران",
            "ایـران",
            "\u{200F}ایران",
            "جمهوری اسلامی ایران",
            "جمهوری\u{200C}اسلامی ایران",
            "ج.ا.ایران",
            "ﺍﯾﺮﺍﻥ",
        ] {
            assert_eq!(code(raw), Some("IR"), "{raw:?}");
            assert_eq!(country_shown(raw), "Iran", "{raw:?}");
        }
    }

    #[test]
    fn shown_as_one_english_name() {
        assert_eq!(country_shown("Deutschland"), "Germany");
        assert_eq!(country_shown("DE"), "Germany");
        assert_eq!(country_shown("GB"), "United Kingdom");
        assert_eq!(country_shown("usa"), "United States");
        assert_eq!(country_shown("Holland"), "Netherlands");
        assert_eq!(country_shown("AT"), "Austria");
        assert_eq!(country_shown("ترکیه"), "Türkiye");
    }

    #[test]
    fn unknown_values_stay_as_written() {
        for raw in [
            "Atlantis",
            "Bavaria",
            "Scotland",
            "آذربایجان",
            "XX",
            "Deutschlandd",
            "",
            "!!!",
            "a country whose name is far too long to be any country the table holds",
        ] {
            assert_eq!(country(raw), None, "{raw:?}");
            assert_eq!(country_shown(raw), raw);
        }
    }

    /// Every accented letter of the table's range folds to a letter, and the table's one-letter
    /// bases line up with the letters (a shifted byte would turn `Ž` into a `y`).
    #[test]
    fn latin_bases() {
        for (c, base) in [
            ('À', b'a'),
            ('Æ', b'*'),
            ('Ç', b'c'),
            ('Ð', b'd'),
            ('Ö', b'o'),
            ('Ø', b'o'),
            ('Ü', b'u'),
            ('Þ', b't'),
            ('ß', b'*'),
            ('ÿ', b'y'),
            ('Ā', b'a'),
            ('č', b'c'),
            ('đ', b'd'),
            ('ě', b'e'),
            ('ğ', b'g'),
            ('ħ', b'h'),
            ('İ', b'i'),
            ('ı', b'i'),
            ('Ĳ', b'*'),
            ('ĵ', b'j'),
            ('ĸ', b'k'),
            ('ł', b'l'),
            ('ŋ', b'n'),
            ('ő', b'o'),
            ('œ', b'*'),
            ('ř', b'r'),
            ('š', b's'),
            ('ŧ', b't'),
            ('ų', b'u'),
            ('ŵ', b'w'),
            ('Ÿ', b'y'),
            ('ž', b'z'),
            ('ſ', b's'),
        ] {
            assert_eq!(latin_base(c), Some(base), "{c}");
        }
        assert_eq!(latin_base('×'), None);
        assert_eq!(latin_base('÷'), None);
        assert_eq!(latin_base('ƀ'), None);
        assert_eq!(latin_base('z'), None);
    }

    /// No folded name belongs to two countries, and every line is read.
    #[test]
    fn every_name_names_one_country() {
        let index = index();
        assert_eq!(index.countries.len(), TABLE.lines().count());
        for pair in index.keys.windows(2) {
            assert_ne!(pair[0].0, pair[1].0, "{:?} and {:?}", pair[0], pair[1]);
        }
        for line in TABLE.lines() {
            let mut parts = line.splitn(3, ' ');
            let (a2, a3) = (parts.next().unwrap(), parts.next().unwrap());
            assert!(
                a2.len() == 2 && a3.len() == 3 && a2.bytes().all(|b| b.is_ascii_uppercase()),
                "{line}"
            );
            for name in parts.next().unwrap().split('|') {
                assert_eq!(code(name), Some(a2), "{name:?}");
            }
        }
    }

    /// Every country a shop may give for its phone numbers is a country here too.
    #[test]
    fn phone_countries_are_known() {
        for p in super::super::PHONE_COUNTRIES {
            assert_eq!(code(p.iso), Some(p.iso));
        }
    }
}
