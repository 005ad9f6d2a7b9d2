"""Speaker lines ("永川区发展改革委党组书记、主任 邓正军") and the units named in posts and bodies."""

from __future__ import annotations

import re
from dataclasses import dataclass

from rag.parse.names import has_surname
from rag.zh import COLONS, SENTENCE_ENDS, segmenter

# A post is a unit followed by a post word: optional modifiers (副, 第一, 荣誉一级 …) and a title.
# The unit ends where the post word begins, so stripping a post word never cuts inside one
# (国家京剧院|副院长, 马形村|第一书记, 法学院|荣誉一级教授).
_TITLES = (
    "书记|支书|主任委员|主任|主席|委员长|委员|常委|党组成员|负责人|干部|"
    "总理|国务委员|省长|州长|市长|区长|县长|镇长|乡长|村长|部长|厅长|局长|司长|署长|处长|科长|"
    "院长|校长|行长|社长|所长|馆长|站长|台长|会长|理事长|秘书长|组长|队长|主编|总编辑|总经理|经理|董事长|总裁|"
    "参谋长|司令员|司令|政委|政治委员|指导员|团长|军长|总指挥|检察长|审计长|督察长|关长|庭长|园长|总监|"
    "院士|教授|讲师|教师|研究员|科学家|设计师|经济师|工程师|会计师|医师"
)
_MODIFIERS = r"(?:常务|第一|驻村|执行|荣誉|名誉|终身|首席|特聘|专职|资深|[一二三]级|代理|代|副|总|党组|党委|党工委|总支|支部|党支部)"
ROLES = rf"{_MODIFIERS}*(?:{_TITLES})"
_NAME = r"[\u4e00-\u9fff](?: {0,3}[\u4e00-\u9fff·]){1,3}"
_SPEAKER_LINE = re.compile(rf"^(?P<post>.*(?:{ROLES})) *(?P<name>{_NAME})$")
_NAME_THEN_POST = re.compile(rf"^(?P<name>{_NAME}) +(?P<post>[^ ]{{3,}}(?:{ROLES}))$")
_POST_COLON = re.compile(rf"(?<=[\u4e00-\u9fff]) *[：:] *(?={_NAME}$)")
_NAME_FIRST_LINE = re.compile(rf"^(?P<name>{_NAME}) *[（(](?P<post>[^（）()]*(?:{ROLES}))[）)]$")
_LEAD_MARKS = re.compile(r"^[■□●○◎◆◇▲△★☆·•—\-\s]+")
_NOT_IN_NAMES = set("的了们这那是在")
# Line-shape limits, in characters. The longest speaker line in the seeds and genre documents has
# 31 characters (a post of 26: two offices joined by 、); 70 leaves room for three offices.
_SPEAKER_LINE_LENGTH = (4, 70)  # the shortest is a two-character unit and post word and a name
_QUOTE_TAIL = 6  # a quotation mark this near the end: the line is a slogan ("…“加速度”"), not a name
_MAX_HEAD = 40  # a run-in head or a post line of its own is one post and a name, never a sentence
_COMMON_WORD_FREQ = 200  # jieba frequency above which a non-name dictionary word is no name (重要, 精神)
_MIN_SLOGAN = 4  # a slogan glued before a post has at least a verb and its object
# A body names its unit in its opening: after at most a time phrase ("2023年上半年，", 10 characters)
# or a short lead-in. The latest unit mention in the seeds and genre documents starts at 11.
_OPENING = 16
_SPEECH_VERB = re.compile(r"(?:说|指出|强调|表示|认为|介绍|提出|要求|坦言|谈到|称)$")
_RUN_IN = re.compile(rf"^(?P<head>[^：:。，；！？“”]{{4,{_MAX_HEAD}}})[：:](?P<rest>.{{2,}})$")
_UNLISTED_POST_LINE = re.compile(rf"^(?P<post>[^ ]{{4,{_MAX_HEAD}}}) +(?P<name>[\u4e00-\u9fff](?: {{0,3}}[\u4e00-\u9fff]){{1,2}})$")
_ORGANISATION = re.compile(
    r"大学|学院|学校|医院|公司|集团|企业|协会|学会|联合会|委员会|合作社|中心|基地|社区|[部委局厅办院所馆社报台站队厂村镇乡县市省区州]"
)
_NAME_ONLY = re.compile(r"^[\u4e00-\u9fff](?: {0,3}[\u4e00-\u9fff]){1,2}$")
_SENTENCE_PUNCT = re.compile(f"[{SENTENCE_ENDS}{COLONS}]")
_ROLE_SUFFIX = re.compile(rf"(?:{ROLES})$")
# A party organ inside a unit, not a unit: 党工委 of 高新区. A 工委 on its own is a unit (法工委, 机关工委).
_ORGAN_SUFFIX = re.compile(r"(?:党工委|党委|党组|党总支|党支部)$")
_PARTY_COMMITTEE = re.compile(r"([区县市])\1?委$")
_ETHNIC_GROUPS = (
    "土家|苗|回|藏|彝|壮|蒙古|满|侗|瑶|白|哈尼|傣|黎|羌|布依|仡佬|朝鲜|维吾尔|哈萨克|畲|水|纳西|土|仫佬|毛南|景颇|拉祜|佤|傈僳|东乡|柯尔克孜|达斡尔|锡伯|撒拉|鄂温克"
)
_ETHNIC_AUTONOMY = re.compile(rf"(?:(?:{_ETHNIC_GROUPS})族)+自治")
_UNIT_TYPE_SUFFIX = re.compile(r"(?:人民政府|政府|街道|集团|公司|中心|镇|乡|区|县|市|委|局|办|村|社区)+$")
_UNIT_SUFFIX_AFTER = re.compile(r"(?:委|局|区|县|市|镇|乡|街道|集团|公司|办|政府|人民政府)")


@dataclass(frozen=True)
class SpeakerLine:
    post: str  # everything before the name, possibly with a slogan glued in front
    name: str  # without spaces


def parse_speaker_line(line: str) -> SpeakerLine | None:
    """Recognise "post name" lines, with or without a space before the name.

    >>> parse_speaker_line("永川区发展改革委党组书记、主任 邓正军")
    SpeakerLine(post='永川区发展改革委党组书记、主任', name='邓正军')
    >>> parse_speaker_line("璧山区区长江志斌")
    SpeakerLine(post='璧山区区长', name='江志斌')
    >>> parse_speaker_line("永高新集团党委书记、董事长 余 波").name
    '余波'
    >>> parse_speaker_line("■ 王伟（荣昌区委书记）")
    SpeakerLine(post='荣昌区委书记', name='王伟')
    >>> parse_speaker_line("某大学法学院院长：陈 理")
    SpeakerLine(post='某大学法学院院长', name='陈理')
    >>> parse_speaker_line("刘一平 某省发展改革委主任")
    SpeakerLine(post='某省发展改革委主任', name='刘一平')
    """
    text = _POST_COLON.sub(" ", _LEAD_MARKS.sub("", line.strip()).rstrip("：: "))
    shortest, longest = _SPEAKER_LINE_LENGTH
    if not shortest <= len(text) <= longest or _SENTENCE_PUNCT.search(text) or "“" in text[-_QUOTE_TAIL:]:
        return None
    match = _SPEAKER_LINE.match(text) or _NAME_FIRST_LINE.match(text)
    if not match:
        match = _NAME_THEN_POST.match(text)
        if not match or not has_surname(match.group("name")):
            return None
    post = match.group("post").strip()
    name = re.sub(r"[ \u3000]", "", match.group("name"))
    if len(post) < 2 or not 2 <= len(name.replace("·", "")) <= 4 or set(name) & _NOT_IN_NAMES:
        return None
    if (len(name) == 4 and not has_surname(name)) or (len(name) >= 3 and _SPEECH_VERB.search(name)):
        return None  # "区委书记张三强调", "张三说": a verb glued to a name
    # A name set off by a space, or padded with spaces to the width of a three-character name
    # ("万  里"), is typeset as a name even when it is also a dictionary word (郑重, 万里).
    typeset = (" " in match.group("name") or text[match.start("name") - 1: match.start("name")] == " ") \
        and has_surname(name)
    if _ROLE_SUFFIX.fullmatch(post) or (_is_common_word(name) and not typeset):  # "书记 张三"; "…总书记重要"
        return None
    return SpeakerLine(post=post, name=name)


def parse_unlisted_post_line(line: str) -> SpeakerLine | None:
    """A "post name" line whose post ends in no post word we list ("北岭机床厂高级技工 严 峻").

    Only the line's shape speaks for it: an organisation in the post, and a name set off by a
    space that starts with a surname. The caller must also see it where speaker lines stand
    (under a title, over a body); on its own this shape is too weak.

    >>> parse_unlisted_post_line("北岭机床厂高级技工 严 峻")
    SpeakerLine(post='北岭机床厂高级技工', name='严峻')
    >>> parse_unlisted_post_line("守正创新 奋进新程") is None
    True
    """
    match = _UNLISTED_POST_LINE.match(_LEAD_MARKS.sub("", line.strip()))
    if not match or _SENTENCE_PUNCT.search(line) or not _ORGANISATION.search(match.group("post")):
        return None
    name = match.group("name").replace(" ", "")
    return SpeakerLine(post=match.group("post"), name=name) if has_surname(name) else None


# Lexicon-free shapes of a speaker line, read only where the line model says a speaker line stands.
# A pen name (天蚕土豆) has no surname, so the name before a bracketed post may be any 2–6 characters.
_NAME_BRACKET_POST = re.compile(r"^(?P<name>[\u4e00-\u9fff·]{2,6})[（(](?P<post>[^（）()，。；：！？]{2,40})[）)]$")
_POST_SPACE_NAME = re.compile(r"^(?P<post>[^ ]{2,40}?) +(?P<name>[\u4e00-\u9fff](?: {0,3}[\u4e00-\u9fff]){1,2})$")
# "…汤立新代表——", "王某委员": a deputy's or a member's entry in a digest; the status word is no part of the name
_DEPUTY_TAIL = re.compile(r"(?:代表|委员)?[—－-]{1,2}$|(?<=[\u4e00-\u9fff]{2})(?:代表|委员)$")
_CJK_NAME = re.compile(r"[\u4e00-\u9fff]{2,3}")
_NAME_SPACE_POST = re.compile(r"^(?P<name>[\u4e00-\u9fff](?: {0,3}[\u4e00-\u9fff]){1,2}) +(?P<post>[^ ]{3,40})$")


def bracketed_post(line: str) -> SpeakerLine | None:
    """ "name（post）" whatever the post and the name ("天蚕土豆（网络作家）"): the shape alone.

    >>> bracketed_post("冯远征（北京人民艺术剧院演员）")
    SpeakerLine(post='北京人民艺术剧院演员', name='冯远征')
    """
    match = _NAME_BRACKET_POST.match(_LEAD_MARKS.sub("", line.strip()).rstrip("：: "))
    return SpeakerLine(post=match.group("post"), name=match.group("name")) if match else None


def split_speaker_line(line: str) -> SpeakerLine | None:
    """Post and name of a line already judged a speaker line: by the listed post words first, then
    by shape alone ("name（post）", "post name", "name post" with a name that starts with a surname,
    a post and a name jieba cuts off at the end, a name alone). A deputy's "代表——" or a member's
    "委员——" after the name is not part of it.

    >>> split_speaker_line("陈凯歌（导演）"), split_speaker_line("网络作家 唐 三")
    (SpeakerLine(post='导演', name='陈凯歌'), SpeakerLine(post='网络作家', name='唐三'))
    >>> split_speaker_line("某省农业农村厅一级巡视员兰定国代表——"), split_speaker_line("许庆民代表——")
    (SpeakerLine(post='某省农业农村厅一级巡视员', name='兰定国'), SpeakerLine(post='', name='许庆民'))
    >>> split_speaker_line("王芳委员"), split_speaker_line("【让数据多跑路】"), split_speaker_line("带出干部好作风")
    (SpeakerLine(post='', name='王芳'), None, None)
    """
    line = _DEPUTY_TAIL.sub("", line.strip())
    listed = parse_speaker_line(line)
    if listed and not has_surname(listed.name) and not _typeset_apart(line, listed.name):
        return None  # "带出干部好作风": a slogan ending in a post word and two or three characters, no name
    found = listed or bracketed_post(line)
    if found:
        name = _DEPUTY_TAIL.sub("", found.name)  # "——何某某代表（post）"
        return SpeakerLine(found.post, name) if len(name) >= 2 else None
    text = _POST_COLON.sub(" ", _LEAD_MARKS.sub("", line).rstrip("：: "))
    if _SENTENCE_PUNCT.search(text) or not text or text[0] in "【[〖「『《":  # a bracketed title, not a name
        return None
    for pattern in (_POST_SPACE_NAME, _NAME_SPACE_POST):
        match = pattern.match(text)
        if match:
            name = match.group("name").replace(" ", "")
            if has_surname(name):
                return SpeakerLine(post=match.group("post"), name=name)
    if is_name_only(text):
        return SpeakerLine(post="", name=text.replace(" ", ""))
    return _glued_name(text)


def _typeset_apart(line: str, name: str) -> bool:
    """The name stands after a space or a colon, set apart from the post as names are."""
    bare = line.rstrip("：: ")
    return bool(re.search(rf"[ ：:]\s*{' *'.join(map(re.escape, name))}$", bare))


def _glued_name(text: str) -> SpeakerLine | None:
    """A post with the name glued on, the name being jieba's last word: unknown to its dictionary or
    a person's name, and starting with a surname."""
    words = segmenter().words(text)
    if len(words) < 2:
        return None
    name = words[-1]
    if len(words) >= 3 and len(words[-2]) == 1 and len(name) <= 2:  # jieba cut a surname off ("汤", "立新")
        name = words[-2] + name
    tag = segmenter().tag(name)
    if _CJK_NAME.fullmatch(name) and has_surname(name) and (tag is None or tag.startswith("nr")) and len(text) > len(name) + 1:
        return SpeakerLine(post=text[: -len(name)], name=name)
    return None


_TRAILING_TITLE = re.compile(r"(?:副教授|教授|研究员|院士|同志|老师|代表|委员)$")  # "王某教授表示": after the name
_NAME_COLON_HEAD = re.compile(r"^(?P<name>[\u4e00-\u9fff]{2,3})[：:]")
_NARRATIVE_HEAD = re.compile(
    r"^(?:[^，。；：“”]{0,20}，)?(?P<head>[^，。；：“”]{2,60}?)(?:在[^，。；：“”]{1,30}?)?"
    r"(?:指出|表示|说|强调|谈到|谈道|认为|介绍|坦言|感慨|建议|透露)[，：:]"
)


@dataclass(frozen=True)
class SpeakerHead:
    """The speaker that opens a line of speech: a run-in head "post name：", a turn "name：", or a
    reported speaker "post name表示，" (then the whole line is speech, `end` is None)."""

    speaker: SpeakerLine
    start: int  # where the head's text starts in the line
    stop: int  # where it ends
    colon: int | None  # the colon after a run-in head or a turn; None for a reported speaker


def speaker_head(text: str) -> SpeakerHead | None:
    """The speaker opening a line the line model took for a speaker line but which holds speech too.

    >>> speaker_head("吕某某：嘉善位于长三角。").speaker
    SpeakerLine(post='', name='吕某某')
    >>> h = speaker_head("作为学生党代表，某学院院长宋华琳教授表示，报告很好。"); (h.speaker.name, h.colon)
    ('宋华琳', None)
    """
    end = run_in_head(text)
    if end is not None:
        return SpeakerHead(parse_speaker_line(text[:end]), 0, end, end)
    match = _NAME_COLON_HEAD.match(text)
    if match and is_name_only(match.group("name")):
        return SpeakerHead(SpeakerLine("", match.group("name")), 0, match.end("name"), match.end("name"))
    match = _NARRATIVE_HEAD.match(text)
    if match:
        head = _TRAILING_TITLE.sub("", match.group("head").strip())
        found = split_speaker_line(head) if len(head) >= 2 else None
        if found and has_surname(found.name):
            return SpeakerHead(found, match.start("head"), match.start("head") + len(head), None)
    return None


def run_in_head(text: str) -> int | None:
    """Where a speaker head that opens a paragraph ("某院长曲青山：正文…") ends (its colon), if any.

    >>> run_in_head("国家文物局副局长 关 强：旧居已列入保护单位。")
    12
    >>> run_in_head("习近平总书记指出：要坚持人民至上。") is None
    True
    """
    match = _RUN_IN.match(text)
    if not match:
        return None
    head = parse_speaker_line(match.group("head"))
    return match.end("head") if head and has_surname(head.name) else None


def is_post_only(text: str) -> bool:
    """A line holding a post and nothing else ("某某县委书记"): its name may follow on the next line."""
    return len(text) <= _MAX_HEAD and not _SENTENCE_PUNCT.search(text) and bool(_ROLE_SUFFIX.search(text)) \
        and not _ROLE_SUFFIX.fullmatch(text) and bool(unit_of_post(text))


def is_name_only(text: str) -> bool:
    """A line holding just a person's name, perhaps spaced ("周 全")."""
    text = _LEAD_MARKS.sub("", text)
    return bool(_NAME_ONLY.match(text)) and has_surname(text) and not _is_common_word(text.replace(" ", ""))


def _is_common_word(name: str) -> bool:
    """A frequent dictionary word that is not a person's name ("重要", "精神") cannot be a name."""
    tag = segmenter().tag(name)
    return tag is not None and not tag.startswith("nr") and segmenter().frequency(name) >= _COMMON_WORD_FREQ


def unit_of_post(post: str) -> str | None:
    """The unit a post belongs to: the last comma/顿号 part that names one, minus roles and organs.

    >>> unit_of_post("永川区委常委、区政府副区长，永川高新区党工委书记")
    '永川高新区'
    >>> unit_of_post("市委常委、万州区委书记")
    '万州区'
    >>> unit_of_post("区卫生健康委党委书记")
    '区卫生健康委'
    >>> unit_of_post("全国人大常委会法工委副主任"), unit_of_post("市生态环境局驻石桥村第一书记")
    ('全国人大常委会法工委', '石桥村')
    >>> unit_of_post("中共中央台办、国务院台办主任"), unit_of_post("人民教育家、某大学法学院教授")
    ('中共中央台办、国务院台办', '某大学法学院')
    """
    parts = re.split(r"([、，,\s]+)", post)  # parts at even indices, their separators between
    for k in range(len(parts) - 1, -1, -2):
        unit = _unit_of_part(parts[k])
        if len(unit) >= 2:
            # "中共中央台办、国务院台办主任": organisations before a shared post word are its units too
            while k >= 2 and parts[k - 1].strip() == "、" and _ORGANISATION.search(parts[k - 2]) \
                    and not re.search(ROLES, parts[k - 2]):
                k -= 2
                unit = f"{parts[k]}、{unit}"
            return unit
    return None


def _unit_of_part(part: str) -> str:
    """One office of a post without its post words and party organs."""
    unit = part
    while True:
        stripped = _ORGAN_SUFFIX.sub("", _ROLE_SUFFIX.sub("", unit))
        if stripped == unit:
            break
        unit = stripped
    unit = _PARTY_COMMITTEE.sub(r"\1", unit)
    posted_to = unit.rsplit("驻", 1)[-1]  # "A驻B第一书记": the post is B's; A only sent its holder
    return posted_to if len(posted_to) >= 2 else unit


def distinctive_name(unit: str, home_places: tuple[str, ...] = ()) -> str:
    """The part of a unit name that tells it apart from its neighbours.

    >>> distinctive_name("永川区发展改革委", ("永川区",))
    '发展改革'
    >>> distinctive_name("石柱土家族自治县"), distinctive_name("忠县")
    ('石柱', '忠县')
    """
    core = unit
    for place in sorted(home_places, key=len, reverse=True):
        if core.startswith(place) and len(core) > len(place):
            core = core[len(place):]
    core = _ETHNIC_AUTONOMY.sub("", core)
    core = re.sub(r"^[区县市]", "", core)
    stripped = _UNIT_TYPE_SUFFIX.sub("", core)
    if len(stripped) >= 2:
        return stripped
    return core if stripped else ""  # "忠县" keeps its suffix; "人民政府" alone tells nothing


def unit_mention_score(text: str, distinctive: str, window: int = _OPENING) -> float:
    """How strongly the opening of `text` names the unit whose distinctive name is given (0–1).

    A mention is a run of the text that is a subsequence of the distinctive name (so that
    abbreviations like 卫健委 for 卫生健康委 count), starting within the first `window` characters,
    and either the whole name, or followed by a unit suffix (委, 局, 区, 镇, 街道 …) and either
    keeping the name's first character (as abbreviations do) or at least three long.

    >>> unit_mention_score("区卫健委紧扣全区发展思路", "卫生健康")
    0.5
    >>> unit_mention_score("推动高质量发展保驾护航", "发展改革")
    0.0
    """
    if len(distinctive) < 2:
        return 0.0
    best = 0.0
    chars = set(distinctive)
    for start in range(min(window, len(text))):
        if text[start] not in chars:  # a mention starts with one of the name's characters
            continue
        length = _subsequence_prefix(text[start:], distinctive)
        if length < 2:
            continue
        whole = text[start:start + length] == distinctive
        suffixed = bool(_UNIT_SUFFIX_AFTER.match(text, start + length))
        abbreviation = text[start] == distinctive[0] or length >= 3
        if whole or (suffixed and abbreviation):
            best = max(best, length / len(distinctive))
    return best


def _subsequence_prefix(text: str, target: str) -> int:
    """Length of the longest prefix of `text` that is a subsequence of `target`."""
    position = 0
    for count, char in enumerate(text):
        found = target.find(char, position)
        if found < 0:
            return count
        position = found + 1
    return len(text)


def split_glued_slogan(post: str) -> tuple[str | None, str]:
    """Separate a slogan glued in front of a post ("加快建设现代制造业基地永川区委书记").

    The post starts at the first place name; what stands before it is a slogan only if it holds a
    verb (unit names have none): "西部科学城重庆高新区…" stays whole.
    """
    position = 0
    has_verb = False
    for word, flag in segmenter().tagged(post, hmm=False):  # places and verbs are dictionary words
        if flag == "ns":
            if has_verb and position >= _MIN_SLOGAN:
                return post[:position], post[position:]
            return None, post
        has_verb = has_verb or flag == "v"
        position += len(word)
    return None, post


_CLAUSE_CHARS = r"[^，。；：、“”‘’（）()《》\s\d]"
_RUNNING = re.compile(
    rf"(?P<post>{_CLAUSE_CHARS}{{2,30}}?(?:{_TITLES}))(?P<name>[\u4e00-\u9fff]{{2,3}})"
    r"(?=(?:\d{1,2}月)?\d{1,2}日|在|代表|作|向|今天|昨天|今日|上午|下午)"
)


def running_speaker(sentence: str) -> SpeakerLine | None:
    """A post and name in running text, just before what the person did ("…总理李克强5日在…").

    >>> running_speaker("国务院总理李克强22日在作政府工作报告时说")
    SpeakerLine(post='国务院总理', name='李克强')
    """
    for match in _RUNNING.finditer(sentence):
        post, name = match.group("post"), match.group("name")
        if has_surname(name) and not _is_common_word(name) and unit_of_post(post):
            return SpeakerLine(post=post, name=name)
    return None
