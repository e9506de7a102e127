package vmware

import (
	"bytes"
	"fmt"
	"net/url"
	"regexp"
	"strings"

	"github.com/PuerkitoBio/goquery"
	"golang.org/x/net/html"
)

// cellSep separates the cells of a table row in rendered text. It never
// occurs in vendor prose, so a row stays recognisable after rendering.
const cellSep = "\x1f"

// bullet starts a rendered list item.
const bullet = "• "

// blockTags end a line before and after them; their content is a paragraph.
var blockTags = map[string]bool{
	"p": true, "div": true, "h1": true, "h2": true, "h3": true, "h4": true, "h5": true, "h6": true,
	"ul": true, "ol": true, "section": true, "article": true, "header": true, "footer": true,
	"blockquote": true, "dl": true, "dt": true, "dd": true, "title": true, "main": true, "body": true,
}

// skipTags hold no page text.
var skipTags = map[string]bool{"script": true, "style": true, "head": true, "noscript": true}

// renderText turns an HTML page into text the advisory and patch parsers
// share with the mail layout: one line per <br> or block, a blank line
// between blocks, list items prefixed with a bullet, and each table row on
// one line with its cells joined by cellSep.
func renderText(n *html.Node) string {
	var b strings.Builder
	render(&b, n)
	return tidyLines(b.String())
}

func render(b *strings.Builder, n *html.Node) {
	switch n.Type {
	case html.TextNode:
		b.WriteString(collapseSpace(n.Data))
		return
	case html.ElementNode:
		if rows := divTable(n); rows != nil {
			b.WriteString("\n\n")
			for _, row := range rows {
				b.WriteString(strings.Join(row, cellSep) + "\n")
			}
			b.WriteString("\n\n")
			return
		}
		tag := n.Data
		switch {
		case skipTags[tag]:
			return
		case tag == "br":
			b.WriteString("\n")
			return
		case tag == "pre":
			b.WriteString("\n\n" + textOf(n) + "\n\n")
			return
		case tag == "table":
			b.WriteString("\n\n")
			renderTable(b, n)
			b.WriteString("\n\n")
			return
		case tag == "li":
			b.WriteString("\n" + bullet)
			renderChildren(b, n)
			b.WriteString("\n")
			return
		case blockTags[tag]:
			b.WriteString("\n\n")
			renderChildren(b, n)
			b.WriteString("\n\n")
			return
		}
	}
	renderChildren(b, n)
}

func renderChildren(b *strings.Builder, n *html.Node) {
	for c := n.FirstChild; c != nil; c = c.NextSibling {
		render(b, c)
	}
}

// renderTable writes each row of a table (not of tables nested in it) as
// one line.
func renderTable(b *strings.Builder, table *html.Node) {
	var rows func(n *html.Node)
	rows = func(n *html.Node) {
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			if c.Type != html.ElementNode {
				continue
			}
			switch c.Data {
			case "tr":
				var cells []string
				for td := c.FirstChild; td != nil; td = td.NextSibling {
					if td.Type == html.ElementNode && (td.Data == "td" || td.Data == "th") {
						var cb strings.Builder
						renderChildren(&cb, td)
						cells = append(cells, strings.Join(strings.Fields(cb.String()), " "))
					}
				}
				b.WriteString(strings.Join(cells, cellSep) + "\n")
			case "thead", "tbody", "tfoot":
				rows(c)
			}
		}
	}
	rows(table)
}

// divTable reads a 2016 vmware.com div table into rows: n's children that
// carry a data-heading attribute are its columns, each holding its heading
// (an <h5>) above its cells, so the i-th cell of every column makes row i
// (the headings row 0). It is nil unless n has two such columns and one of
// them has a cell below its heading: the same markup also draws the
// advisory's header box, one column of label lines.
func divTable(n *html.Node) [][]string {
	var grid [][]string
	rows := 0
	for c := n.FirstChild; c != nil; c = c.NextSibling {
		if c.Type != html.ElementNode || !hasAttr(c, "data-heading") {
			continue
		}
		var cells []string
		for cc := c.FirstChild; cc != nil; cc = cc.NextSibling {
			cells = append(cells, divCells(cc)...)
		}
		grid = append(grid, cells)
		rows = max(rows, len(cells))
	}
	if len(grid) < 2 || rows < 2 {
		return nil
	}
	out := make([][]string, rows)
	for i := range out {
		out[i] = make([]string, len(grid))
		for j, cells := range grid {
			out[i][j] = at(cells, i)
		}
	}
	return out
}

func hasAttr(n *html.Node, key string) bool {
	for _, a := range n.Attr {
		if a.Key == key {
			return true
		}
	}
	return false
}

// divCells lists the cells under n in document order. A block element
// (div, p, a heading) is a cell of its own text, not counting the blocks
// inside it, which are the next cells: the 2016 pages nest each cell of a
// column inside the one above it.
func divCells(n *html.Node) []string {
	if n.Type == html.TextNode {
		if t := strings.TrimSpace(collapseSpace(n.Data)); t != "" {
			return []string{t}
		}
		return nil
	}
	if n.Type != html.ElementNode || skipTags[n.Data] {
		return nil
	}
	var own strings.Builder
	var nested []string
	for c := n.FirstChild; c != nil; c = c.NextSibling {
		if c.Type == html.ElementNode && blockTags[c.Data] {
			nested = append(nested, divCells(c)...)
			continue
		}
		render(&own, c)
	}
	cell := strings.Join(strings.Fields(own.String()), " ")
	if cell == "" {
		return nested
	}
	return append([]string{cell}, nested...)
}

// textOf is the raw text under n, whitespace kept (for <pre>).
func textOf(n *html.Node) string {
	var b strings.Builder
	var walk func(*html.Node)
	walk = func(n *html.Node) {
		if n.Type == html.TextNode {
			b.WriteString(n.Data)
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			walk(c)
		}
	}
	walk(n)
	return b.String()
}

var spaceRun = regexp.MustCompile(`[ \t\r\n\f\v\x{a0}]+`)

func collapseSpace(s string) string { return spaceRun.ReplaceAllString(s, " ") }

// tidyLines trims every line and folds runs of blank lines into one.
func tidyLines(s string) string {
	lines := strings.Split(s, "\n")
	out := make([]string, 0, len(lines))
	blank := true
	for _, l := range lines {
		l = strings.TrimSpace(strings.ReplaceAll(l, "\u00a0", " "))
		if l == "" {
			if !blank {
				out = append(out, "")
			}
			blank = true
			continue
		}
		out = append(out, l)
		blank = false
	}
	return strings.TrimSpace(strings.Join(out, "\n"))
}

// parseHTML reads a page into a goquery document, naming the URL on error.
func parseHTML(body []byte, u *url.URL) (*goquery.Document, error) {
	doc, err := goquery.NewDocumentFromReader(bytes.NewReader(body))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", u, err)
	}
	return doc, nil
}

// pageText renders a whole HTML page to text.
func pageText(body []byte, u *url.URL) (string, *goquery.Document, error) {
	doc, err := parseHTML(body, u)
	if err != nil {
		return "", nil, err
	}
	if len(doc.Nodes) == 0 {
		return "", nil, fmt.Errorf("%s: empty page", u)
	}
	return renderText(doc.Nodes[0]), doc, nil
}

// cells splits a rendered table row; a line that is not a row gives nil.
func cells(line string) []string {
	if !strings.Contains(line, cellSep) {
		return nil
	}
	out := strings.Split(line, cellSep)
	for i := range out {
		out[i] = strings.TrimSpace(out[i])
	}
	return out
}
