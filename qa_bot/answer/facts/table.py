"""One (question pattern, sentence pattern) pair per fact (qa_bot/answer/facts/__init__.py
says what they are for and how they were checked)."""

from __future__ import annotations

# Who a person is by their country ("Frenchman Cyril Saulnier", "the Dane"), for nationality
DEMONYMS = (
    r"american|british|english|scottish|welsh|irish|french|german|italian|spanish|"
    r"portuguese|dutch|belgian|swiss|austrian|swedish|norwegian|danish|finnish|"
    r"icelandic|polish|czech|slovak|hungarian|romanian|bulgarian|greek|turkish|russian|"
    r"ukrainian|serbian|croatian|bosnian|slovenian|albanian|georgian|armenian|israeli|"
    r"palestinian|lebanese|syrian|iraqi|iranian|saudi|egyptian|moroccan|algerian|"
    r"tunisian|libyan|nigerian|ghanaian|kenyan|ethiopian|south\s+african|zimbabwean|"
    r"zambian|ugandan|cameroonian|senegalese|ivorian|indian|pakistani|bangladeshi|"
    r"sri\s+lankan|afghan|chinese|japanese|korean|taiwanese|vietnamese|thai|malaysian|"
    r"indonesian|filipino|singaporean|australian|new\s+zealander|kiwi|canadian|mexican|"
    r"brazilian|argentine|argentinian|chilean|colombian|peruvian|venezuelan|uruguayan|"
    r"paraguayan|cuban|jamaican|trinidadian|barbadian|fijian|samoan|tongan|latvian|"
    r"lithuanian|estonian|belarusian|kazakh|uzbek|mongolian|nepalese|dane|swede|"
    r"norwegian|finn|scot|briton|frenchman|frenchwoman|dutchman|englishman|irishman|"
    r"welshman|scotsman|spaniard|pole|czech|swiss|brit|yank")

# (what the question asks, what a sentence that answers it may say). A question pattern
# matches only a question that asks for the fact, not one that merely mentions it ("the
# salary scam", "the rival boss's clothes"); a sentence pattern takes the usual ways of
# saying the fact (checked on SQuAD: see the module docstring).
FACTS: dict[str, tuple[str, str]] = {
    "birth": (r"(?i)^\W*(?:and\s+)?(?:where|when|(?:in\s+)?(?:what|which)\s+(?:year|city|town|"
              r"country|place))\b.*\bborn\W*$|\bbirth\s*place\b|\bplace\s+of\s+birth\b|"
              r"\bdate\s+of\s+birth\b|\bbirthday\b",
              r"\bborn\b|\bbirth|\bnative\b|\bgrew\s+up\b|\bhome\s*town\b|\bhails\s+from\b|"
              r"\(\s*(?:[^()]*\b)?1\d{3}\s*[\u2013-]"),  # a life span: "(10 July 1856 - 1943)"
    "founding": (r"(?i)^\W*(?:and\s+)?who\s+(?:(?:co-?)?founded|started|set\s+up|"
                 r"established)\b|\bfounders?\s+of\b|"
                 r"\b(?:was|were)\b.*\b(?:founded|established|set\s+up)\W*$|"
                 r"\bwho\s+(?:is|was|are|were)\s+(?:the\s+)?(?:co-?)?founders?\b",
                 r"\bfound(?:ed|er|ers|ing|ation)\b|\bco-?found|\bset\s+(?:it\s+)?up\b|"
                 r"\bsetting\s+up\b|\bestablish|\bformed\b|\bformation\b|\bstarted\b|\bcreat|"
                 r"\binception\b|\borigin|\bopened\b|\bbegan\b|\blaunched\b|\bincorporat|"
                 r"\bintroduc|\bbuilt\b|\b(?:goes|go|went)\s+back\b|"
                 r"\bdat(?:es|ing|ed)\s+(?:back|from)\b|\bsince\s+(?:1\d{3}|20\d{2})\b"),
    "population": (r"(?i)^\W*(?:and\s+)?(?:what|how\s+(?:large|big))\s+(?:is|was|were|are)\s+"
                   r"(?:the\s+)?(?:total\s+|current\s+)?population\s+of\b|['\u2019]s\s+"
                   r"population\W*$|\bhow\s+many\s+(?:people|inhabitants)\s+live\b|"
                   r"\bhow\s+(?:many|large|big)\b.*\bpopulation\W*$",
                   r"\bpopulat|\binhabitants\b|\bpeople\b|\bresidents\b|\bcitizens\b|"
                   r"\bcensus\b|\blive[sd]?\b"),
    "capital": (r"(?i)^\W*(?:and\s+)?(?:what|which)\s+(?:city\s+)?(?:is|was)\s+(?:the\s+)?"
                r"capital(?:\s+city)?\s+of\b|['\u2019]s\s+capital(?:\s+city)?\W*$",
                r"\bcapital\b"),
    "salary": (r"(?i)['\u2019]s\s+(?:annual\s+|yearly\s+|basic\s+)?(?:salary|pay|wages?)\W*$|"
               r"\bsalary\s+(?:as|of)\b|\bwhat\s+(?:salary|wage)\b|\bhow\s+much\s+"
               r"(?:does|did|do|will)\b.*\b(?:earn|paid)\b",
               r"\bsalary\b|\bearn|\bpaid\b|\bpay\b|\bwages?\b|\bincome\b|\bprofit|\brevenue"),
    "staff": (r"(?i)\bhow\s+many\s+(?:people|staff|workers|employees)\b.*\b(?:employ|work)|"
              r"\bhow\s+many\b.*\bemploy(?:s|ed)?\b",
              r"\bemploy|\bstaff\b|\bworkers?\b|\bworkforce\b|\bjobs?\b|\bpeople\b|\bpayroll\b"),
    "designer": (r"(?i)^\W*(?:and\s+)?who\s+(?:designed|built)\b|\b(?:architect|designer)\s+of\b",
                 r"\bdesign|\barchitect|\bbuil[dt]|\bconstruct|\bcreat|\bby\b"),
    "attendance": (r"(?i)\bhow\s+many\s+(?:fans|spectators|people|supporters)\s+"
                   r"(?:attended|watched|saw|turned\s+(?:up|out)|were\s+at|were\s+in\s+the\s+"
                   r"(?:crowd|stadium|ground|audience))\b|"
                   r"\b(?:what|how\s+big)\s+(?:was\s+)?the\s+(?:crowd|attendance)\b",
                   r"\bcrowd|\battend|\bfans\b|\bspectators\b|\bwatched\b|\bsell-?out\b|"
                   r"\bcapacity\b|\bturn(?:ed)?\s+(?:out|up)\b|\bsupporters\b|\bviewers\b|"
                   r"\baudience\b|\bparticipa|\battract|\benrol|\bpeople\b|\batt\b"),
    "currency": (r"(?i)^\W*(?:and\s+)?(?:what|which)\s+(?:is|was|are|were)\s+(?:the\s+)?"
                 r"(?:\w+\s+)?currency\s+(?:of|in|used)\b|['\u2019]s\s+currency\W*$|"
                 r"^\W*(?:and\s+)?(?:what|which)\s+currency\s+(?:does|did|do|is|was)\b",
                 r"\bcurrenc|\bcoin|\bnotes\b|\bdenomination|\b(?:dollar|pound|euro|franc|peso|"
                 r"rand|shilling|kwacha|naira|rupee|yen|yuan|renminbi|rouble|ruble|lira|dinar|"
                 r"dirham|riyal|krona|krone|zloty|forint)s?\b"),
    "constituency": (r"(?i)\b(?:which|what)\s+(?:westminster\s+)?(?:constituency|seat)\b|"
                     r"\bmp\s+for\s+(?:where|which|what)\b",
                     r"\bconstituen|\bseat\b|\bMP\s+for\b|\brepresent|\bmember\s+for\b"),
    "education": (r"(?i)\b(?:which|what)\s+(?:university|college|school)\s+(?:did|does|do)\b.*"
                  r"\b(?:attend|go\s+to|study\s+at|graduate\s+from)\b",
                  r"\buniversit|\bcollege\b|\bschool|\bstudi|\beducated\b|\bgraduat|\bdegree\b|"
                  r"\balumn|\bacademy\b"),
    "race time": (r"(?i)\b(?:winning|finishing|record|personal\s+best)\s+time\b|"
                  r"\bin\s+what\s+time\s+did\b",
                  r"\d:\d|\d\s*(?:s|secs?|seconds?|mins?|minutes?|hours?|hrs?)\b|"
                  r"\b(?:seconds?|minutes?|hours?)\b"),
    # General knowledge about a country, a person, a firm or a work, which news states
    # far less often than it names them
    "language": (r"(?i)\b(?:what|which)\s+(?:main\s+|official\s+|national\s+)?languages?\s+"
                 r"(?:is|are|was|were|do|does|did)\b|\b(?:official|national|main)\s+languages?\s+"
                 r"(?:of|in)\b|['\u2019]s\s+(?:official\s+|national\s+)?languages?\W*$|"
                 r"^\W*(?:and\s+)?what\s+(?:is|are)\s+(?:the\s+)?languages?\s+(?:of|in|spoken)\b",
                 r"\blanguage|\bspeak|\bspoken\b|\btongue\b|\bdialect|\blingu|-speaking\b|"
                 r"\bbilingual|\b(?:english|french|german|spanish|italian|portuguese|russian|"
                 r"arabic|chinese|mandarin|cantonese|japanese|korean|hindi|urdu|bengali|polish|"
                 r"dutch|greek|latin|hebrew|turkish|persian|farsi|swahili|welsh|gaelic|irish|"
                 r"catalan|basque|swedish|norwegian|danish|finnish|hungarian|czech|ukrainian|"
                 r"serbian|croatian|romanian|bulgarian|thai|vietnamese|indonesian|malay|tamil|"
                 r"punjabi|sanskrit|creole|flemish|afrikaans|zulu|amharic|tagalog|yiddish)\b"),
    "independence": (r"(?i)\b(?:when|what\s+year|which\s+year|what\s+date)\b.*\b(?:gain|win|won|"
                     r"achieve|get|got|declare|become|became)\w*\s+(?:its\s+|their\s+)?"
                     r"independen(?:ce|t)\b",
                     r"(?-i:\bindependen|\bIndependence\b(?!\s+[A-Z]))|\bsovereign|\bcolon|"
                     r"\bliberat|\bfreedom\b|\bself-rule\b|"
                     r"\bsplit\s+from\b|\bbroke\s+away\b|\bsecede|\bseparat|\bpartition"),
    "death": (r"(?i)^\W*(?:and\s+)?(?:when|where|how|in\s+what\s+year|what\s+year|at\s+what\s+"
              r"age)\s+did\s+(?:[\w'\u2019.-]+\s+){1,4}?(?:die|pass\s+away)\W*$|"
              r"^\W*(?:and\s+)?what\s+did\s+(?:[\w'\u2019.-]+\s+){1,5}?die\s+(?:of|from)\W*$|"
              r"\bcause\s+of\s+(?:his\s+|her\s+|their\s+)?death\b",
              r"\bdie[ds]?\b|\bdying\b|\bdeath|\bdead\b|\bkill|\bpassed\s+away\b|\bfuneral|"
              r"\bmurder|\bassassinat|\bsuicide\b|\blate\b|\bobituar|\bbur(?:ied|ial)\b|"
              r"\bfatal|\bsuccumb|\blost\s+(?:his|her|their)\s+li|\bexecut|\bpoison|\bdrown|"
              r"\bburn|\bshot\b|\bwidow|\(d\.\s*\d|[\u2013-]\s*(?:c\.\s*)?\d+\s*(?:BC|AD)?\)|"
              r"\(\s*[^()]*\d{4}\s*[\u2013-]\s*[^()]*\d{4}\s*\)"),
    "largest city": (r"(?i)\b(?:what|which)\s+(?:is|was)\s+(?:the\s+)?(?:largest|biggest|most\s+"
                     r"populous)\s+city\b|['\u2019]s\s+(?:largest|biggest|most\s+populous)\s+"
                     r"city\W*$",
                     r"\blargest\b|\bbiggest\b|\bpopulous|\blarger\s+than\b|\bmetropol"),
    "area": (r"(?i)\bwhat\s+(?:is|was)\s+the\s+(?:total\s+|land\s+|surface\s+)?area\s+of\b|"
             r"\bhow\s+many\s+square\s+(?:miles|kilometres|kilometers|km|metres|meters|feet)\b",
             r"\bsquare\b|\bsq\b|\bkm2|\bkm\u00b2|\bhectares?\b|\bacres?\b|\barea\b|"
             r"\bcover(?:s|ed|ing)?\b|\bspans?\b"),
    "religion": (r"(?i)\b(?:what|which)\s+(?:is\s+the\s+|was\s+the\s+)?(?:main\s+|dominant\s+|"
                 r"predominant\s+|official\s+|state\s+|majority\s+)?religion\b",
                 r"\brelig|\bmuslim|\bislam|\bchristian|\bcatholic|\bprotestant|\bhindu|"
                 r"\bbuddh|\bjew|\bjudai|\bsikh|\bchurch|\bfaith|\borthodox|\bmosque|\btemple|"
                 r"\bsunni|\bshi'?a|\banglican|\bevangelical|\bbeliev|\bworship|\bgod"),
    "headquarters": (r"(?i)\bwhere\s+(?:is|are|was|were)\b.*\b(?:headquartered|headquarters|"
                     r"head\s+office|hq)\b|\bwhere\s+(?:does|do|did)\b.*\bhave\s+(?:its|their)\s+"
                     r"(?:headquarters|head\s+office|hq)\b",
                     r"\bheadquarter|\bhq\b|\bhead[\s-]+office|\bbased\b|-based\b|\bbase[ds]?\b|"
                     r"\boffices?\b|\bsited\b|\blocated\b|\bcampus"),
    "owner": (r"(?i)^\W*(?:and\s+)?(?:who\s+|(?:which|what)\s+(?:\w+\s+)?(?:family|company|"
              r"firm|group|"
              r"businessman|tycoon|billionaire|consortium|conglomerate|investor|fund|bank|"
              r"government|state|country|person|man|woman)\s+)(?:now\s+)?"
              r"(?:owns|owned|controls)\b|"
              r"^\W*(?:and\s+)?who\s+(?:is|was|are|were)\s+(?:the\s+)?(?:\w+\s+)?owners?\s+of\b|"
              r"^\W*(?:and\s+)?who\b.*['\u2019]s\s+owners?\W*$",
              r"\bown(?:s|ed|er|ers|ership)\b|\b(?:they|we|who|which|that|to|also|now|jointly|"
              r"still)\s+own\b|\bstake|\bbought\b|\bbuy|\bacqui|\bparent\b|\bsubsidiar|\bcontrol|"
              r"\bholds?\b|\bholding|\bpurchas|\btakeover|\btook\s+over|\bsold\b|\bproperty\s+"
              r"of\b|\bunit\s+of\b|\bpart\s+of\b|\bshareholder|\bfamily\b"),
    "gdp": (r"(?i)\b(?:gdp|gross\s+domestic\s+product)\s+(?:of|per\s+(?:head|capita))\b|"
            r"['\u2019]s\s+(?:gdp|gross\s+domestic\s+product)\W*$|\bhow\s+(?:big|large)\s+is\s+"
            r"(?:the\s+)?(?:[\w'\u2019-]+\s+){1,3}economy\W*$",
            r"\bgdp\b|\bgross\s+domestic|\beconom|\boutput\b|\bper\s+capita\b|\bincome\b"),
    "net worth": (r"(?i)\b(?:net\s+worth|personal\s+fortune|personal\s+wealth)\b|"
                  r"\bhow\s+rich\s+is\b",
                  r"\bworth\b|\bfortune\b|\bwealth|\brich|\bbillionaire|\bmillionaire|\bvalued\b|"
                  r"\bvaluation\b|\bvalue\b|\bassets\b|\bnet\s+worth"),
    "nickname": (r"(?i)\bnick-?name",
                 r"\bnick-?name|\bknown\b|\bdub|\bcall(?:s|ed|ing)?\b|\blabel|\bbilled\s+as\b|"
                 r"\bnam(?:e|ed|es|ing)\b|\balias\b|\bmoniker|\bso-called\b|\bsobriquet|\btitle\b|"
                 r"\brefer|\bterm(?:s|ed)?\b|\brenamed\b"),
    "national symbol": (r"(?i)^\W*(?:and\s+)?(?:what|which)\s+(?:\w+\s+)?(?:is|was|are|were)\s+"
                        r"(?:the\s+)?(?:[\w'\u2019.-]+\s+){0,3}?national\s+(?:sport|anthem|"
                        r"flag|animal|dish|symbol|bird|flower|emblem|motto|instrument|costume|"
                        r"tree|colou?rs)\b",
                        r"\bnational\s+(?:sport|anthem|flag|animal|dish|symbol|bird|flower|game|"
                        r"emblem|motto|instrument|costume|tree|colou?rs)|\banthem\b|\bflag\b|"
                        r"\bmotto\b|\bemblem\b|\bsymbol"),
    "geography": (r"(?i)\b(?:longest|largest|biggest|highest|tallest|deepest)\s+(?:river|mountain|"
                  r"peak|lake|island|desert|volcano)\b|\b(?:which|what)\s+(?:countries|country|"
                  r"nations?|states?)\s+borders?\b|\bborders?\s+(?:with\s+)?which\b|"
                  r"\b(?:which|what)\s+continent\b",
                  r"\briver|\bmountain|\bpeak\b|\blake\b|\bisland|\bdesert|\bvolcan|\bborder|"
                  r"\bneighbou?r|\bcontinent|\bafrica|\basia|\beurope|\bamerica|\boceania|"
                  r"\bantarctic|\bmetres?\b|\bfeet\b|\bkm\b|\bmiles\b|\bsq\b|\bsquare\b"),
    "head of state": (r"(?i)\bhead\s+of\s+(?:state|government)\b",
                      r"\bhead\s+of\s+(?:state|government)|\bpresident|\bmonarch|\bking\b|"
                      r"\bqueen\b|\bprime\s+minister|\bpremier\b|\bgovernor|\bleader\b|\bruler\b|"
                      r"\bchancellor\b|\bemperor|\bsultan|\bemir\b"),
    "official name": (r"(?i)\bofficial\s+name\b|\bwhat\s+(?:was|is)\b.*\b(?:formerly|previously|"
                      r"once|originally)\s+(?:called|known\s+as|named)\b",
                      r"\bofficial(?:ly)?\s+(?:name|called|known)|\bformerly\b|\bpreviously\b|"
                      r"\boriginally\b|\bknown\b|\brenamed\b|\bcalled\b|\bnamed\b|\bname\b|"
                      r"\bofficial|\bnamesake\b|\btitle\b|\bwhat\s+is\s+now\b"),
    "government": (r"(?i)\b(?:what|which)\s+(?:type|kind|form|system|sort)\s+of\s+government\b|"
                   r"\bpolitical\s+system\s+(?:of|in|does)\b",
                   r"\brepublic|\bmonarch|\bdemocra|\bdictator|\bcommunis|\bsocialis|\bfederal|"
                   r"\bparliament|\bregime|\bjunta|\bauthoritarian|\btotalitarian|\btheocra|"
                   r"\bone-party|\bsingle-party|\bconstitution|\bautocra|\bcoalition|"
                   r"\bform\s+of\s+government|\bcouncil\b|\bassembly\b|\bdevolved\b|\bmunicipal|"
                   r"\bmayor|\bstyled\b|\btype\b"),
    "export": (r"(?i)\b(?:main|chief|biggest|largest|principal|top|leading|major)\s+exports?\b|"
               r"^\W*(?:and\s+)?what\s+does\s+(?:[\w'\u2019.-]+\s+){1,4}?export\W*$",
               r"\bexport|\bshipments?\b|\bsells?\s+abroad\b|\boverseas\s+sales\b"),
    "contract": (r"(?i)\bcontract\s+(?:expire|run\s+out|end|last)|\bwhen\s+(?:does|did|will)\b"
                 r".*\bcontract\b.*\b(?:expire|run\s+out|end)\W*$|\bhow\s+long\s+is\b.*\b"
                 r"contract\W*$",
                 r"\bcontract|\bdeal\b|\bexpir|\buntil\b|\brun(?:s|ning)?\s+(?:out|until)|"
                 r"\bsigned\b|\bextension|\bagreement|\b\d+-year\b|\byear\b"),
    "nationality": (r"(?i)^\W*(?:and\s+)?what\s+nationality\b|['\u2019]s\s+nationality\W*$|"
                    r"^\W*(?:and\s+)?(?:which|what)\s+country\s+(?:is|was|does|did)\s+"
                    r"(?:[\w'\u2019.-]+\s+){1,4}?(?:from|come\s+from|represent)\W*$",
                    r"\bnationality|\bcitizen|\bpassport|\bborn\b|-born\b|\bnative\b|"
                    r"\bnational\b|\bcompatriot|\bcountryman|\bhails\s+from\b|\b(?:" + DEMONYMS
                    + r"|africa|america|britain|england|scotland|wales|ireland|france|germany|"
                    r"italy|spain|australia|canada|china|india|japan|russia)\b|\([A-Z]{3}\)|"
                    r"\([A-Z][a-z]+\)"),
    "profession": (r"(?i)^\W*(?:and\s+)?what\s+(?:is|was|does|did)\s+(?:[\w'\u2019.-]+\s+){0,4}?"
                   r"(?:profession|occupation|job|trade|line\s+of\s+work)\W*$|['\u2019]s\s+"
                   r"(?:profession|occupation|day\s+job)\W*$|^\W*(?:and\s+)?what\s+does\s+"
                   r"(?:[\w'\u2019.-]+\s+){1,4}?do\s+for\s+a\s+living\W*$",
                   r"\bprofession|\boccupation|\bjob\b|\bcareer|\bwork(?:s|ed|ing)?\s+"
                   r"(?:as|for|in)\b|\btrained\s+as\b|\bformer\b|"
                   r"\b(?:[a-z]+(?:er|or|ist|ian|ant|ent|man|woman))\b"),
    "retirement": (r"(?i)^\W*(?:and\s+)?(?:when|in\s+what\s+year|what\s+year|at\s+what\s+age)\s+"
                   r"did\s+(?:[\w'\u2019.-]+\s+){1,4}?retire\W*$",
                   r"\bretir|\bquit|\bhung\s+up|\bhang\s+up|\bstepp?(?:ed|ing)?\s+down|"
                   r"\bbow(?:ed)?\s+out|\bcall(?:ed)?\s+(?:it\s+)?(?:time|a\s+day)|\bfarewell|"
                   r"\bfinal\s+(?:season|race|match|game|fight|tournament)|\blast\s+(?:season|race|"
                   r"match|game|fight)|\bended\s+(?:his|her)\s+career"),
    "position": (r"(?i)\b(?:what|which)\s+position\s+(?:does|did|do|is|was)\b.*\bplay",
                 r"\bstriker|\bmidfield|\bdefen[cd]|\bgoalkeeper|\bkeeper\b|\bwinger\b|"
                 r"\bwing\b|\bforward\b|\bfull-?back|\bcentre|\bcenter\b|\bfly-?half|"
                 r"\bscrum-?half|\bprop\b|\bhooker\b|\block\b|\bflanker|\bno\.?\s*8\b|"
                 r"\bnumber\s+(?:8|eight|9|nine|10|ten)\b|\bposition|\bplaymaker|\bsweeper|"
                 r"\bpitcher|\bcatcher|\bquarterback|\bguard\b|\bshortstop|\bback\b|"
                 r"\bopen(?:er|ing)\b|\bbowler|\bbatsman|\ball-?rounder|\bwicket-?keeper|"
                 r"\bplays?\s+(?:at|in|as)\b|\blinebacker|\breceiver|\bsafety\b|\bcornerback|"
                 r"\btight\s+end|\brunning\s*back|\btackle\b|\bdefensive\s+end|\bkicker|"
                 r"\bpunter|\boutfield|\binfield|\bbaseman|\bhitter|\bgoaltender|\bdefenceman|"
                 r"\bdefenseman|\bpivot\b|\bhalf-?back|\bthree-?quarter|\bsecond-?row|\bbatter"),
}
