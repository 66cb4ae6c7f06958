"""English and UK given-name variants, so that "Bill" can meet "William".

Each line is one group of names used for the same person. A name may sit in
more than one group (Alex: Alexander and Alexandra); such groups are merged,
which is what a comparison wants: "could be the same given name".
"""

from __future__ import annotations

from functools import cache

_GROUPS = """
abigail abby abbie gail
adam ade
adrian adie
albert al bert bertie
alexander alex alec alexa sandy sasha xander lex
alexandra alex alexa sandra sandy lexi
alfred alf alfie fred freddie
alice ally allie
amanda mandy manda
amelia millie mia amy
andrew andy drew
angela angie
anthony tony ant anton
antony tony
arthur art artie
barbara barb babs barbie
benjamin ben benny benji
bernard bernie
beverley bev
bradley brad
bridget bridie biddy
caroline carol carrie caz
catherine cathy cath kate katie kath kay cat
katherine kathy kate katie kath kay kat kitty
kathleen kathy kath kate katie
christine chris chrissie tina
christina chris chrissie tina
christopher chris kit topher
charles charlie chas chuck chaz
charlotte charlie lottie lotte
cynthia cindy
daniel dan danny
david dave davy davie
deborah debbie deb debs
dennis den
diana di
dominic dom
donald don donny
dorothy dot dottie dolly
douglas doug dougie
edward ed eddie ted teddy ned
edwin ed eddie
edmund ed eddie ted ned
eleanor ellie nell nora elle
elizabeth liz lizzie beth betty bess bessie eliza elsie libby lisa liza betsy lilibet
ellen nell nellie
emily em emmy milly
emma em emmy
eugene gene
frances fran fanny frankie
francis frank fran
frederick fred freddie freddy
gabriel gabe
gabrielle gabby gabi
geoffrey geoff jeff
gerald gerry jerry
geraldine gerry
gregory greg
harold harry hal
harriet hattie harry
helen nell nellie
henry harry hank hal
herbert herb bert
isabel izzy bella isabelle isobel
isabella izzy bella
jacob jake jack
james jim jimmy jamie jimbo
jane jenny janey
janet jan jenny
jennifer jen jenny jenna
jessica jess jessie
joanna jo joanne
john jack johnny jon
jonathan jon jonny nathan
joseph joe joey jo
josephine jo jo josie
joshua josh
judith judy jude
julia julie jules
julian jules
kenneth ken kenny
kimberley kim
lawrence larry laurie lol
laurence larry laurie lol
leonard len lenny leo
lewis lou louie
louis lou louie
louise lou lulu
margaret maggie meg peggy marge madge mags maisie greta rita daisy
martin marty
matthew matt matty
megan meg
melissa mel missy
michael mike mick mickey micky mikey
michelle shelly
nathaniel nat nathan nate
nicholas nick nicky nico
nicola nicky nikki
oliver ollie olly
olivia liv livvy ollie
pamela pam
patricia pat patty trish tricia
patrick pat paddy
peter pete
philip phil pip
phillip phil pip
rebecca becky becca bex
richard rick ricky dick rich richie
robert rob bob bobby robbie
roberta bobbie robbie
ronald ron ronnie
rosemary rose rosie
samantha sam sammy
samuel sam sammy
sarah sally sadie sara
stephen steve stevie
steven steve stevie
stuart stu
susan sue susie suzy
suzanne sue suzy
terence terry
theodore theo ted teddy
thomas tom tommy
timothy tim timmy
victoria vicky vikki tori
vincent vince vinny
walter walt wally
william will bill billy willie liam wills
winifred winnie
zachary zach zack
""".strip().splitlines()


@cache
def _index() -> dict[str, str]:
    """Map every name to the group key of its merged group (union-find)."""
    parent: dict[str, str] = {}

    def find(name: str) -> str:
        parent.setdefault(name, name)
        while parent[name] != name:
            parent[name] = parent[parent[name]]
            name = parent[name]
        return name

    for line in _GROUPS:
        names = line.split()
        for other in names[1:]:
            a, b = find(names[0]), find(other)
            if a != b:
                parent[max(a, b)] = min(a, b)
    return {name: find(name) for name in parent}


def name_group(given_name: str | None) -> str | None:
    """The key shared by a given name and its variants, or the name itself."""
    if not given_name:
        return None
    return _index().get(given_name, given_name)
