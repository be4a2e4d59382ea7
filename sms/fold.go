package sms

import (
	"strings"
	"unicode"
)

// foldGroups are the Latin letters with diacritics of Unicode's Latin-1
// Supplement and Latin Extended-A blocks (U+00C0–U+017F: every letter
// French, Spanish, German, Italian, Portuguese and the other languages
// of Western and Central Europe write) with the upper-case ASCII they
// fold to: the canonical decomposition without its combining marks, and
// the usual transliteration of the letters that have none (Æ AE, Ø O,
// ß SS, Œ OE, Ł L, Þ TH). Written out rather than taken from
// golang.org/x/text's normalization, which rebond does not import.
var foldGroups = [...]struct{ letters, fold string }{
	{"ÀÁÂÃÄÅàáâãäåĀāĂăĄą", "A"},
	{"Ææ", "AE"},
	{"ÇçĆćĈĉĊċČč", "C"},
	{"ÐðĎďĐđ", "D"},
	{"ÈÉÊËèéêëĒēĔĕĖėĘęĚě", "E"},
	{"ĜĝĞğĠġĢģ", "G"},
	{"ĤĥĦħ", "H"},
	{"ÌÍÎÏìíîïĨĩĪīĬĭĮįİı", "I"},
	{"Ĳĳ", "IJ"},
	{"Ĵĵ", "J"},
	{"Ķķĸ", "K"},
	{"ĹĺĻļĽľĿŀŁł", "L"},
	{"ÑñŃńŅņŇňŉŊŋ", "N"},
	{"ÒÓÔÕÖØòóôõöøŌōŎŏŐő", "O"},
	{"Œœ", "OE"},
	{"ŔŕŖŗŘř", "R"},
	{"ŚśŜŝŞşŠšſ", "S"},
	{"ß", "SS"},
	{"ŢţŤťŦŧ", "T"},
	{"Þþ", "TH"},
	{"ÙÚÛÜùúûüŨũŪūŬŭŮůŰűŲų", "U"},
	{"Ŵŵ", "W"},
	{"ÝýÿŶŷŸ", "Y"},
	{"ŹźŻżŽž", "Z"},
}

// foldRune writes r upper-cased and without its diacritics: "é" and "É"
// are "E", "ß" is "SS"; letters outside the table are only upper-cased.
func foldRune(b *strings.Builder, r rune) {
	if r >= 0xC0 && r <= 0x17F {
		for _, g := range foldGroups {
			if strings.ContainsRune(g.letters, r) {
				b.WriteString(g.fold)
				return
			}
		}
	}
	b.WriteRune(unicode.ToUpper(r))
}

// word is one word of a text: as written, and folded (foldRune) for
// comparison.
type word struct{ text, folded string }

// isWordRune reports whether r belongs to a word: letters, digits and
// the combining marks of a decomposed accent ("E" + U+0302 is "Ê").
// Everything else (spaces, punctuation, apostrophes, emoji) separates
// words, so "STOP!", "opt-out" and "don't" are "STOP", "OPT OUT" and
// "DON T".
func isWordRune(r rune) bool {
	return unicode.IsLetter(r) || unicode.IsDigit(r) || unicode.Is(unicode.Mn, r)
}

// splitWords returns the first max words of s and whether s has more.
// Combining marks are dropped from the folded form.
func splitWords(s string, max int) (words []word, more bool) {
	start := -1
	flush := func(end int) {
		if start < 0 {
			return
		}
		w := s[start:end]
		var b strings.Builder
		for _, r := range w {
			if !unicode.Is(unicode.Mn, r) {
				foldRune(&b, r)
			}
		}
		if b.Len() > 0 {
			words = append(words, word{text: w, folded: b.String()})
		}
		start = -1
	}
	for i, r := range s {
		if isWordRune(r) {
			if start < 0 {
				if len(words) == max {
					return words, true
				}
				start = i
			}
			continue
		}
		flush(i)
	}
	flush(len(s))
	return words, false
}
