package main

import (
	"bytes"
	"fmt"
	"html"
	"regexp"
	"slices"
	"strings"
)

// ---- message_gen.go ----

// reasonItem is one Reason an exception's documentation lists: <li><p>REASON: sentence...
// The sentences are one per item of a nested list (SERVICE_ACCESS_NOT_ENABLED documents one
// case for delegated administrators and one for policy types), else one.
type reasonItem struct {
	reason    string
	sentences []string
}

var (
	tagRE    = regexp.MustCompile(`<[^>]*>`)
	reasonRE = regexp.MustCompile(`^([A-Z][A-Z0-9_]+):\s*(.*)$`)
)

// plainText strips the HTML tags, decodes the entities and collapses the white space
// (zero-width spaces included, which the model holds after some sentences).
func plainText(doc string) string {
	s := html.UnescapeString(tagRE.ReplaceAllString(doc, " "))
	s = strings.ReplaceAll(s, "\u200b", " ")
	s = strings.Join(strings.Fields(s), " ")
	// Tags stripped to a space leave one before punctuation: "<code>X</code>." reads "X .".
	for _, p := range []string{".", ",", ":", ")"} {
		s = strings.ReplaceAll(s, " "+p, p)
	}
	return strings.ReplaceAll(s, "( ", "(")
}

// firstSentence is s up to its first full stop that ends a sentence (one followed by a space
// or the end): "(23.59.59.999)." stays whole.
func firstSentence(s string) string {
	s = strings.TrimSpace(s)
	if i := strings.Index(s, ". "); i >= 0 {
		return s[:i+1]
	}
	return s
}

// listItems returns the contents of the <li> elements of the first <ul> in doc at its top
// level, nested lists kept inside their item.
func listItems(doc string) []string {
	start := strings.Index(doc, "<ul>")
	if start < 0 {
		return nil
	}
	var items []string
	depth, itemStart := 0, -1
	for i := start; i < len(doc); {
		switch {
		case strings.HasPrefix(doc[i:], "<ul>"):
			depth++
			i += len("<ul>")
		case strings.HasPrefix(doc[i:], "</ul>"):
			depth--
			i += len("</ul>")
			if depth == 0 {
				return items
			}
		case depth == 1 && strings.HasPrefix(doc[i:], "<li>"):
			i += len("<li>")
			itemStart = i
		case depth == 1 && strings.HasPrefix(doc[i:], "</li>"):
			items = append(items, doc[itemStart:i])
			i += len("</li>")
		default:
			i++
		}
	}
	return items
}

// docReasonValues maps the Reasons the documentation names by their enum names (as the SDKs
// spell their constants) to the values on the wire, which botocore's model alone lists:
// InvalidInputException's INVALID_PAGINATION_TOKEN is sent as INVALID_NEXT_TOKEN.
var docReasonValues = map[string]string{
	"INVALID_PAGINATION_TOKEN":  "INVALID_NEXT_TOKEN",
	"MAX_FILTER_LIMIT_EXCEEDED": "MAX_LIMIT_EXCEEDED_FILTER",
}

// reasons returns the Reasons an exception's documentation lists, in its order.
func reasons(doc string) []reasonItem {
	var out []reasonItem
	for _, item := range listItems(doc) {
		head, nested := item, ""
		if i := strings.Index(item, "<ul>"); i >= 0 {
			head, nested = item[:i], item[i:]
		}
		m := reasonRE.FindStringSubmatch(plainText(head))
		if m == nil {
			continue
		}
		r := reasonItem{reason: m[1]}
		if v, ok := docReasonValues[r.reason]; ok {
			r.reason = v
		}
		if nested != "" {
			for _, sub := range listItems(nested) {
				r.sentences = append(r.sentences, firstSentence(plainText(sub)))
			}
		} else {
			r.sentences = []string{firstSentence(m[2])}
		}
		out = append(out, r)
	}
	return out
}

func (g *gen) messages(b *bytes.Buffer) {
	pf(b, "package model\n\n")
	pf(b, "// modelTexts holds, for every exception shape, the first sentence of its documentation in\n")
	pf(b, "// the model.\nvar modelTexts = map[string]string{\n")
	var withReasons []*shape
	for _, s := range g.m.shapes {
		if !s.exception {
			continue
		}
		pf(b, "\t%q: %q,\n", s.name, firstSentence(plainText(s.doc)))
		if slices.Contains([]string{"ConstraintViolationException", "InvalidInputException", "HandshakeConstraintViolationException"}, s.name) {
			withReasons = append(withReasons, s)
		}
	}
	pf(b, "}\n\n")
	pf(b, "// modelReasonTexts holds, for every Reason the documentation of ConstraintViolationException,\n")
	pf(b, "// InvalidInputException and HandshakeConstraintViolationException lists, the first sentence\n")
	pf(b, "// after the colon; one per case where the model lists several.\n")
	pf(b, "var modelReasonTexts = map[codeReason][]string{\n")
	for _, s := range withReasons {
		for _, r := range reasons(s.doc) {
			pf(b, "\t{%q, %q}: {", s.name, r.reason)
			for i, t := range r.sentences {
				if i > 0 {
					b.WriteString(", ")
				}
				fmt.Fprintf(b, "%q", t)
			}
			pf(b, "},\n")
		}
	}
	pf(b, "}\n")
}
