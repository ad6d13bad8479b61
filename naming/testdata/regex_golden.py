# Generates regex.golden: one JSON line per pattern, [pattern, result],
# where result has one character per name, "1" when Python's
# re.match(pattern, name) matches and "0" when not, or is "E" when the
# pattern does not compile. The last line is ["#names", names].
# Run: python3 testdata/regex_golden.py > testdata/regex.golden
import json
import re

patterns = [
    "a", "a\\.", ".*one$", "one", "a\\.o", "[ab]\\.", "[^a]\\.", "[]a]", "[a-c]+\\.t", "A", "(?i)A\\.ONE",
    "a|b", "(a|b)\\.t", "(?:a|c)\\.", "(?P<n>a)\\.", "(?#c)a", "\\w+\\.\\w+\\Z", "\\w+\\Z", "x{,2}a", "a{1,2}\\.",
    "\\d", "\\D", "\\s", "\\S+", "\\bone", "a\\.\\btwo", "\\Aa", "\\u0061", "\\U00000061", "\\x61", "\\141\\.",
    "\\e", "\\é", "[\\b]", "(?s)a.", "(?m)a", "(?a)\\w", "(?u)\\w", "(?i:A)\\.", "(?-i:a)", ".", "", "\\.",
    "[[]", "[a[]", "[.]", "\\$", "a*?", "a+?b", "[", "(", ")", "a)", "*", "a{2,1}", "\\", "a)|(b", "(?=a)",
    "(?!a)", "(?<=a)b", "(?<!a)b", "(a)\\1", "(?P<x>a)(?P=x)", "(?(1)a|b)", "(?x) a", "(?L)a", "\\N{LATIN SMALL LETTER A}",
    "a++", "(?>a)", "\\z", "\\1", "\\w\\.", "[\\w]\\.", "\\W", "[\\d.]+$", "\\s", "[\\s]", "(?a)\\w\\.",
    "a$", "a.one$", "(?m)a$", "[$]", "\\d\\.\\d",
]
names = ["a.one", "a.two", "b.three", "A.ONE", "one", "a", "ab", "aa.one", "x.a", "", "é.x", "a\nb", "a.one\n",
         "1.2", "c.kw", "]", "[", ".", "$", "\b", "a b", "a\u00a0b", "\u0663.x", "a\x0bb", "a\n"]
for p in patterns:
    try:
        rx = re.compile(p)
    except re.error:
        print(json.dumps([p, "E"]))
        continue
    print(json.dumps([p, "".join("1" if rx.match(n) else "0" for n in names)]))
print(json.dumps(["#names", names]))
