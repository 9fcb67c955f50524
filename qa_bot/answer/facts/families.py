"""Facts asked in families of like patterns: a firm's figures (sales, profit, dividend),
family members (spouse, children, parents) and who holds a role (chief executive,
minister, coach...). Same shape as qa_bot/answer/facts/table.py."""

from __future__ import annotations

FAMILIES: dict[str, tuple[str, str]] = {}
# A firm's figures: "What were Krispy Kreme's total sales in 2004?", "What net profit did
# it make?", "How much revenue...", "What interim dividend did it declare?"
_QUALIFIED = r"(?:total\s+|annual\s+|net\s+|pre-?tax\s+|full-year\s+|interim\s+|final\s+|" \
    r"operating\s+|quarterly\s+)?"
for _name, _asks, _says in (
        ("sales", r"sales(?!\s+tax)|revenues?|turnover",
         r"sales|sold|sell|revenue|turnover|takings|grossed|income|generat"),
        ("profit", r"profits?|earnings|losses", r"profit|earn|loss|lost|made|income|deficit|"
         r"surplus|grossed"),
        ("dividend", r"dividends?", r"dividend|payout|pay-out|per\s+share|a\s+share")):
    FAMILIES[_name] = (
        r"(?i)^\W*(?:and\s+)?(?:what|how\s+much)\s+(?:[\w-]+\s+){0,2}?" + _QUALIFIED + r"(?:"
        + _asks + r")\b(?!-)|^\W*(?:and\s+)?what\s+(?:is|was|were|are)\s+(?:the\s+)?"
        r"(?:[\w&'\u2019.-]+\s+){0,4}?" + _QUALIFIED + r"(?:" + _asks + r")\b(?!-)",
        r"\b(?:" + _says + r")")
# Family: "Who is Charles Kennedy's wife?", "How many children does she have?". The family
# word is matched case-sensitively: "Destiny's Child" is a band.
_FAMILY = (  # (name, the words a question asks with, what a sentence may say)
    ("spouse", r"wife|husband|partner", r"wife|husband|partner|marri|marry|wed\b|wedd|spouse"),
    ("children", r"sons?|daughters?|children|child|baby|kids?",
     r"sons?|daughters?|children|child|baby|kids?|born|birth"),
    ("parents", r"father|mother|parents|brother|sister",
     r"father|mother|parents?|brother|sister|sons?|daughters?|family"),
)
for _name, _asks, _says in _FAMILY:
    FAMILIES[_name] = (
        r"^\W*(?i:(?:and\s+)?(?:who|what)\s+(?:is|was|are|were)\s+(?:the\s+names?\s+of\s+)?"
        r"(?:[\w.-]+\s+){0,4}?(?:[\w-]+['\u2019]s|his|her|their)\s+(?:first\s+|eldest\s+|"
        r"youngest\s+|new\s+)?)(?:" + _asks + r")(?i:\s+called)?\W*$|(?i:\bhow\s+many\s+)(?:"
        + _asks + r")\b"
        r"|(?i:\bname\s+(?:their|his|her)\s+(?:first\s+|new\s+)?)(?:" + _asks + r")\b"
        + (r"|(?i:\bwho\s+(?:is|was)\s+[\w.-]+(?:\s+[\w.-]+){0,4}\s+married\s+to\b)"
           if _name == "spouse" else ""),
        r"\b(?:" + _says + r")")
# Who holds a role ("Who is the chief executive of Inbev?", "Who is Cameroon's finance
# minister?", "What is the name of the Uefa spokesman?", "Who coaches her?"): the sentence
# must name the role, or one that means the same (a firm's "boss" is its chief executive).
_ROLES = (  # (name, how a question says it, what a sentence may say)
    ("chief executive", r"chief\s+executive|ceo|boss|managing\s+director",
     r"chief|ceo|boss|head(?:s|ed)?\b|head\s+of|executive|director|president|chair|"
     r"managing|runs?\b|ran\b|led\b|leads?\b|founder|own(?:s|ed|er|ers)\b|helm|in\s+charge|"
     r"manage[dsr]?\b|governed|operat(?:ed|es|or)\b|direct(?:ed|ion)\b|principal|"
     r"organi[sz]|maintain"),
    ("chairman", r"chairman|chairwoman|chair", r"chair|president|head(?:s|ed)?\b|head\s+of|boss|"
     r"leader"),
    ("president", r"president", r"president|head\s+of\s+state|leader"),
    ("minister", r"(?:[\w-]+\s+)?minister", r"minister|premier\b"),
    ("secretary", r"(?:[\w-]+\s+)?secretary", r"secretary|minister"),
    ("coach", r"coach|trainer", r"coach|trainer|trained\s+by|manager|boss"),
    ("manager", r"manager", r"manager|boss|coach|in\s+charge|managed"),
    ("captain", r"captain|skipper", r"captain|skipper"),
    ("spokesman", r"spokesman|spokeswoman|spokesperson", r"spokes|representative|press\s+officer"),
    ("judge", r"judge", r"judge|justice|court"),
    ("referee", r"referee", r"referee|ref\b|official"),
    ("ambassador", r"ambassador", r"ambassador|envoy"),
    ("governor", r"governor", r"governor"),
    ("mayor", r"mayor", r"mayor"),
    ("editor", r"editor", r"editor"),
    ("agent", r"agent", r"agent|represent|adviser|advisor|manage"),
    ("monarch", r"king|queen|monarch|emperor|sultan|emir",
     r"king|queen|monarch|emperor|sultan|emir|royal|throne|crown|reign|ruler|prince"),
)
ROLE_FACTS = frozenset(name for name, _, _ in _ROLES)  # the facts that are who holds a role
_ROLE_VERBS = {"coach": "coaches|coached|trains|trained", "referee": "refereed|referees",
               "manager": "manages|managed", "captain": "captains|captained",
               "chief executive": "runs|ran|heads|headed", "chairman": "chairs|chaired"}
for _name, _role, _says in _ROLES:
    FAMILIES[_name] = (
        r"(?i)^\W*(?:and\s+)?who\s+(?:is|was|'s|\u2019s)\s+(?:the\s+)?(?:[\w&.-]+\s+){0,3}?"
        r"(?:" + _role + r")\b(?!['\u2019]s)|"
        r"^\W*(?:and\s+)?who\b.*['\u2019]s\s+(?:new\s+|current\s+)?(?:" + _role + r")\W*$|"
        r"\bname\s+of\s+(?:the\s+|its\s+|their\s+|his\s+|her\s+)?(?:[\w&'\u2019-]+\s+){0,4}?"
        r"(?:" + _role + r")\b(?!['\u2019]s)"
        + (r"|^\W*(?:and\s+)?who\s+(?:" + _ROLE_VERBS[_name] + r")\b"
           r"(?!\s+(?:against|for|from|to|into|away|out|off|up|down|in|under|the\s+ball)\b)"
           if _name in _ROLE_VERBS else ""),
        r"\b(?:" + _says + r")")
