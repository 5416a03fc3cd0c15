"""Is a forwarded original a rejection, and from which company, for which job?

Readable rules rather than a model: per language (en, de, fr, es, nl) a table of the phrases that
say "no" (`rejection`), and of the phrases of the mails that look like one but are not:
acknowledgements, conditional notices ("if you do not hear from us..."), invitations, next-round
mails, offers, job alerts and newsletters. Each phrase is plain words; "…" stands for a gap of up to
eight words. The wording is that of the major ATSs' default templates (Greenhouse, Lever, Ashby,
Workday, SmartRecruiters, iCIMS, Personio, Teamtailor) and of plain company mail.

The decision weighs what matched: a look-alike phrase that lies inside a rejection phrase does not
count ("we will not be moving forward with your application" is not a next-round mail); the mail is
a rejection when the rejection phrases outweigh the others. `rule` names the phrases that decided,
so the member (and a test) can see why.

Exact phrases cover the ATSs' templates, not a company's own words, so each sentence is also read
for cues that combine into a "no" (see CUES): someone else chosen, a negated "move forward" about
the application, a filled or closed role, a regret with a decision. A clause about a delay, a
slot or documents does not count, a look-alike phrase keeps its sentence, and a negated look-alike
phrase ("not … the next round") no longer counts against a rejection.

Pure and total: `decide` never raises, whatever text it is given.
"""

from __future__ import annotations

import re
import unicodedata
from bisect import bisect_right
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from typing import Literal

from nearmiss.intake.mail.forwards import Original

Kind = Literal[
    "rejection",
    "weak_rejection",
    "acknowledgement",
    "conditional",
    "invitation",
    "next_round",
    "offer",
    "job_alert",
    "mailing_list",
]
Language = Literal["en", "de", "fr", "es", "nl"]
MAX_TEXT = 20_000  # characters of the original read: the decision is in its first lines, not its footers

# How much one matched phrase of each kind weighs. A plain "unfortunately" leans towards a
# rejection; an acknowledgement mail often says "we will not be able to reply to everyone", so an
# acknowledgement phrase weighs less than a clear "no"; a conditional "if you have not heard from
# us, assume..." is an acknowledgement however it is worded.
WEIGHT: dict[Kind, float] = {
    "rejection": 1.0,
    "weak_rejection": 0.5,
    "acknowledgement": 0.6,
    "conditional": 2.0,
    "invitation": 1.0,
    "next_round": 1.0,
    "offer": 1.5,
    "job_alert": 1.0,
    # An unsubscribe link is in job alerts and newsletters, but ATSs put one under rejections too:
    # alone it must not outweigh a "no".
    "mailing_list": 0.5,
}

PHRASES: dict[Language, dict[Kind, tuple[str, ...]]] = {
    "en": {
        "rejection": (
            "not be moving forward",
            "not moving forward with",
            "won't be moving forward",
            "unable to move forward",
            "not able to move forward",
            "not be able to move forward",
            "won't be able to move forward",
            "not to move forward",
            "decided to move forward with other candidates",
            "decided to move forward with another candidate",
            "move forward with other candidates",
            "moving forward with other candidates",
            "decided to pursue other candidates",
            "pursue other candidates",
            "decided to proceed with other candidates",
            "decided not to proceed",
            "not to proceed with your application",
            "will not be proceeding",
            "not be progressing your application",
            "decided not to progress",
            "not be taking your application further",
            "unable to offer you",
            "not able to offer you",
            "have not been selected",
            "you were not selected",
            "were not successful",
            "was unsuccessful",
            "have been unsuccessful",
            "position has been filled",
            "regret to inform you",
            "more closely match",
            "more closely matches",
            "more closely aligns",
            "no longer under consideration",
            "no longer being considered",
            "not the right fit",
            "decided to go in a different direction",
            "decided to go with another candidate",
            "not move ahead",
            "not moving ahead",
            "chosen another applicant",
            "chosen another candidate",
            "selected another candidate",
            "gone with another candidate",
            "not be considering your application",
            "not be pursuing your application",
            "not to pursue your application",
            "not pursue your candidacy",
            "not been shortlisted",
            "not been successful",
            "will not be extending an offer",
            "not the outcome you were hoping for",
            "won't be progressing",
            "not progress with your application",
            "not … taking … further",
            "not … take … further",
            "not … taken further",
            "not … taken forward",
            "unable to progress",
            "not … progress your application",
            "not … extend an offer",
            "not … extend you an offer",
        ),
        "weak_rejection": (
            "unfortunately",
            "we regret",
            "best of luck in your search",
            "best of luck in your job search",
            "success in your job search",
            "all the best in your search",
        ),
        "acknowledgement": (
            "we have received your application",
            "we've received your application",
            "we received your application",
            "your application has been received",
            "successfully submitted",
            "thank you for submitting your application",
            "will review your application",
            "will be reviewing your application",
            "we'll be in touch",
            "will be in touch",
            "currently reviewing",
            "our team will review",
        ),
        "conditional": (
            "if you do not hear from us",
            "if you don't hear from us",
            "if you haven't heard from us",
            "if you have not heard from us",
            "if we do not contact you",
        ),
        "invitation": (
            "invite you to an interview",
            "invite you to interview",
            "invite you for an interview",
            "schedule an interview",
            "schedule a call",
            "book a time",
            "pick a time",
            "select a time",
            "like to invite you",
            "your availability",
            "interview invitation",
        ),
        "next_round": (
            "next round",
            "next step in the process",
            "next stage",
            "move forward with your application",
            "pleased to move forward",
            "excited to move forward",
            "happy to move forward",
            "move you forward",
            "advance to the",
        ),
        "offer": (
            "pleased to offer you",
            "happy to offer you",
            "delighted to offer you",
            "extend an offer",
            "offer letter",
            "offer of employment",
            "extend you an offer",
            "thrilled to offer you",
        ),
        "job_alert": (
            "job alert",
            "jobs you might be interested in",
            "jobs you may like",
            "jobs you might like",
            "jobs for you",
            "recommended for you",
            "new jobs",
            "recommended jobs",
            "jobs matching",
            "similar jobs",
            "newsletter",
            "new roles",
            "new positions",
            "new openings",
            "roles that match",
            "jobs that match",
            "you saved",
            "saved job",
            "saved search",
        ),
        "mailing_list": ("unsubscribe", "manage your alerts", "email preferences"),
    },
    "de": {
        "rejection": (
            "nicht berücksichtigen",
            "nicht weiter berücksichtigen",
            "nicht berücksichtigt",
            "nicht in die engere auswahl",
            "für einen anderen bewerber entschieden",
            "für eine andere bewerberin entschieden",
            "für andere bewerber entschieden",
            "für andere kandidaten entschieden",
            "für eine andere kandidatin",
            "für einen anderen kandidaten",
            "anderen bewerbern den vorzug",
            "anderen kandidaten den vorzug",
            "absage",
            "müssen wir ihnen leider mitteilen",
            "müssen wir dir leider mitteilen",
            "nicht weiterverfolgen",
            "nicht weiter verfolgen",
            "keine positive rückmeldung",
            "bereits besetzt",
            "anderweitig besetzt",
            "nicht … in die nächste runde",
            "keine zusage",
            "für eine andere bewerbung entschieden",
            "nicht weiterzuverfolgen",
            "nicht in betracht",
            "nicht weiter berücksichtigt",
            "negative rückmeldung",
            "kein angebot",
            "gegen ihre bewerbung",
            "gegen deine bewerbung",
            "aus dem auswahlverfahren",
            "nicht für sie entschieden",
            "nicht für dich entschieden",
            "nicht … fortsetzen",
            "nicht … fortführen",
        ),
        "weak_rejection": (
            "leider",
            "für ihre berufliche zukunft alles gute",
            "viel erfolg bei ihrer weiteren suche",
            "viel erfolg bei deiner weiteren suche",
            "weiterhin viel erfolg",
        ),
        "acknowledgement": (
            "ihre bewerbung ist bei uns eingegangen",
            "deine bewerbung ist bei uns eingegangen",
            "eingang ihrer bewerbung",
            "eingang deiner bewerbung",
            "bewerbung erhalten",
            "wir melden uns",
            "werden uns … melden",
            "prüfen ihre unterlagen",
            "prüfen deine unterlagen",
            "sichten",
            "kommen … auf sie zu",
            "kommen … auf dich zu",
        ),
        "conditional": (
            "sollten sie … nichts von uns hören",
            "falls sie … nichts von uns hören",
            "solltest du … nichts von uns hören",
        ),
        "invitation": (
            "vorstellungsgespräch einladen",
            "zu einem gespräch einladen",
            "zu einem kennenlernen einladen",
            "einladung zum",
            "termin vereinbaren",
            "terminvorschlag",
        ),
        "next_round": ("nächste runde", "nächsten schritt", "weiteren gespräch", "zweites gespräch"),
        "offer": (
            "vertragsangebot",
            "angebot unterbreiten",
            "ein angebot",
            "arbeitsvertrag",
            "zusage",
        ),
        "job_alert": (
            "jobalarm",
            "job-alarm",
            "neue stellenangebote",
            "passende jobs",
            "neue jobs",
            "newsletter",
        ),
        "mailing_list": ("abmelden", "abbestellen"),
    },
    "fr": {
        "rejection": (
            "ne pourrons pas donner suite",
            "ne pouvons pas donner suite",
            "pas donner suite",
            "suite favorable",
            "retenu d'autres candidatures",
            "retenu une autre candidature",
            "ne correspond pas",
            "regret de vous informer",
            "au regret de",
            "n'a pas été retenue",
            "pas été retenue",
            "pas été retenu",
            "ne pas poursuivre",
            "pas poursuivre",
            "ne pas retenir",
            "pas retenu votre candidature",
            "pas en mesure de donner suite",
            "pas été sélectionné",
            "pas été sélectionnée",
            "réponse négative",
            "orienté notre choix",
            "porté notre choix",
            "ne … pas … suite",
            "pas de suite",
        ),
        "weak_rejection": (
            "malheureusement",
            "bonne continuation",
            "plein succès dans vos recherches",
            "réussite dans vos recherches",
        ),
        "acknowledgement": (
            "bien reçu votre candidature",
            "accusons réception",
            "nous avons reçu votre candidature",
            "nous reviendrons vers vous",
            "étudier votre candidature",
            "examinons actuellement",
        ),
        "conditional": ("sans réponse de notre part", "si vous n'avez pas de nouvelles"),
        "invitation": (
            "vous inviter à un entretien",
            "convier à un entretien",
            "planifier un entretien",
            "fixer un rendez-vous",
            "invitation à un entretien",
        ),
        "next_round": ("prochaine étape", "étape suivante", "prochain tour"),
        "offer": (
            "proposition d'embauche",
            "vous proposer le poste",
            "promesse d'embauche",
            "vous faire une offre",
            "vous faire une proposition",
        ),
        "job_alert": (
            "alerte emploi",
            "nouvelles offres",
            "offres d'emploi",
            "newsletter",
        ),
        "mailing_list": ("se désabonner", "vous désinscrire", "désabonnement"),
    },
    "es": {
        "rejection": (
            "no continuaremos con tu candidatura",
            "no continuaremos con su candidatura",
            "no seguir adelante",
            "no avanzar con",
            "continuar con otros candidatos",
            "no ha sido seleccionada",
            "no has sido seleccionado",
            "no has sido seleccionada",
            "no ha resultado seleccionado",
            "lamentamos informarte",
            "lamentamos informarle",
            "lamentamos comunicarte",
            "lamentamos comunicarle",
            "sentimos comunicarte",
            "no podemos ofrecerte",
            "no seguir con",
            "no continuar con",
            "hemos elegido a otro",
            "hemos elegido a otra",
            "seleccionado a otro",
            "seleccionado a otra",
            "no ha sido seleccionado",
            "no fue seleccionado",
            "no fue seleccionada",
            "no podemos continuar",
            "descartado",
            "descartada",
            "respuesta negativa",
            "no ha prosperado",
        ),
        "weak_rejection": (
            "lamentablemente",
            "desafortunadamente",
            "por desgracia",
            "mucha suerte en tu búsqueda",
            "éxito en tu búsqueda",
            "éxito en su búsqueda",
        ),
        "acknowledgement": (
            "hemos recibido tu candidatura",
            "hemos recibido su candidatura",
            "recibido correctamente",
            "revisaremos tu",
            "nos pondremos en contacto",
            "estamos revisando",
        ),
        "conditional": ("si no recibes noticias", "si no tienes noticias", "en caso de no recibir"),
        "invitation": (
            "invitarte a una entrevista",
            "invitarle a una entrevista",
            "agendar una entrevista",
            "programar una entrevista",
            "concertar una entrevista",
        ),
        "next_round": (
            "siguiente fase",
            "próxima fase",
            "siguiente etapa",
            "próxima etapa",
            "siguiente ronda",
        ),
        "offer": (
            "ofrecerte el puesto",
            "ofrecerle el puesto",
            "hacerte una oferta",
            "hacerle una oferta",
            "carta oferta",
            "propuesta de contratación",
        ),
        "job_alert": (
            "alerta de empleo",
            "nuevas ofertas",
            "ofertas que te pueden interesar",
            "boletín",
        ),
        "mailing_list": ("darte de baja", "cancelar la suscripción", "darse de baja"),
    },
    "nl": {
        "rejection": (
            "niet verder te gaan",
            "niet verder gaan met",
            "gekozen voor een andere kandidaat",
            "voor een andere kandidaat gekozen",
            "niet uitnodigen",
            "niet in aanmerking",
            "afwijzing",
            "niet … door naar de volgende ronde",
            "moeten we je helaas",
            "moeten wij u helaas",
            "sluit niet voldoende aan",
            "niet verder in behandeling",
            "niet in behandeling",
            "niet meer in aanmerking",
            "geen vervolg",
            "afgewezen",
            "gaan niet verder",
            "besloten niet verder",
            "niet geselecteerd",
            "niet voor jou gekozen",
            "niet voor u gekozen",
            "niet met je verder",
            "niet met u verder",
            "niet … verder in de procedure",
            "niet … verder in het proces",
            "geen … vervolg",
        ),
        "weak_rejection": (
            "helaas",
            "veel succes met je zoektocht",
            "veel succes bij het vinden",
            "succes met je verdere zoektocht",
        ),
        "acknowledgement": (
            "sollicitatie … ontvangen",
            "we nemen contact",
            "nemen wij contact",
            "nemen we contact",
            "beoordelen je sollicitatie",
            "bekijken je sollicitatie",
        ),
        "conditional": ("niets van ons hoort", "niets van ons gehoord"),
        "invitation": (
            "uitnodigen voor een gesprek",
            "uitnodiging voor een gesprek",
            "sollicitatiegesprek",
            "kennismakingsgesprek",
            "gesprek inplannen",
            "afspraak inplannen",
        ),
        "next_round": ("volgende ronde", "volgende stap", "tweede gesprek", "volgende fase"),
        "offer": ("aanbod doen", "arbeidsovereenkomst", "contractvoorstel"),
        "job_alert": ("vacature-alert", "vacaturealert", "nieuwe vacatures", "nieuwsbrief"),
        "mailing_list": ("uitschrijven", "afmelden"),
    },
}

# --- sentences: cues that combine into a "no" ---
#
# The phrase tables above are the ATSs' exact wording; a company writing its own mail says the same
# thing in other words. So each sentence is also read for cues that combine, per language:
#   others + choice       "we have decided to go with ANOTHER CANDIDATE"
#   negation + progress   "we will NOT be OFFERING you the role" (the "no" at most six words before
#                         what it stops, in the same clause), about the application (object) or after
#                         a regret
#   closed + post         "the ROLE has been FILLED" (the post: what can be filled or closed)
#   regret + choice       "UNFORTUNATELY we have DECIDED to close YOUR application"
# A clause (up to a comma, a colon or a "but") that holds an `aside` cue is about something else (a
# delay, a slot, a reschedule, documents, "not yet", "if"): its cues and its rejection phrases do not
# count. A sentence that holds a look-alike phrase is the look-alike's, so
# "we regret the delay ... we'd like to invite you" stays an invitation. Entries are plain words;
# "…" is a gap of up to eight words, a trailing "*" lets the word go on ("consider*"), a leading one
# lets it begin inside a word ("*n't": "won't").
Cue = Literal["regret", "negation", "progress", "object", "post", "others", "choice", "closed", "aside"]

CUES: dict[Language, dict[Cue, tuple[str, ...]]] = {
    "en": {
        "regret": (
            "unfortunately",
            "sadly",
            "regrettably",
            "regret*",
            "sorry",
            "afraid",
            "disappointing news",
            "not the news",
        ),
        "negation": ("not", "*n't", "never", "no longer", "unable", "cannot"),
        "progress": (
            "move forward",
            "moving forward",
            "moved forward",
            "move ahead",
            "moving ahead",
            "go ahead",
            "going ahead",
            "proceed*",
            "progress*",
            "continu*",
            "advanc*",
            "pursu*",
            "consider*",
            "offer you",
            "offering you",
            "offer the role",
            "offer the position",
            "an offer",
            "extend* … offer",
            "extend you",
            "invit*",
            "select*",
            "shortlist*",
            "successful",
            "mov* … forward",
            "put* … forward",
            "take … further",
            "taking … further",
            "taken … further",
            "take … forward",
            "taking … forward",
            "taken … forward",
            "make it to the",
            "made it to the",
            "make it through",
            "made it through",
            "through to",
            "a match",
            "a fit",
            "the right fit",
            "a good fit",
            "the right match",
            "hire",
            "hiring",
            "in a position",
            "next stage",
            "next round",
            "next step*",
            "meet … requirement*",
            "met … requirement*",
            "meet … criteria",
            "met … criteria",
        ),
        "object": (
            "application",
            "candidacy",
            "candidature",
            "you",
            "your",
            "profile",
            "role",
            "position",
            "job",
            "vacancy",
            "opening",
            "process",
            "opportunity",
        ),
        "post": (
            "application*",
            "candidacy",
            "candidature",
            "role",
            "position",
            "job",
            "vacancy",
            "opening",
            "requisition",
            "search",
            "process",
        ),
        "others": (
            "another candidate",
            "other candidates",
            "another applicant",
            "other applicants",
            "different candidate",
            "different applicant",
            "different direction",
            "someone else",
            "someone whose",
            "someone with",
            "someone who",
            "candidates whose",
            "candidate whose",
            "applicants whose",
            "a candidate who",
            "candidate* with",
            "applicant* with",
            "internal candidate",
            "closer fit",
            "closer match",
            "stronger match",
            "stronger fit",
            "better fit",
            "better match",
            "more closely",
            "more aligned",
            "more relevant experience",
        ),
        "choice": (
            "decided",
            "determined",
            "chosen",
            "chose",
            "selected",
            "opted",
            "gone with",
            "go with",
            "went with",
            "going with",
            "went to",
            "move forward with",
            "moving forward with",
            "proceed with",
            "proceeding with",
            "progress with",
            "progressing with",
            "pursue",
            "pursuing",
            "continue with",
            "hired",
            "offered the",
            "offered to",
            "given to",
        ),
        "closed": (
            "been filled",
            "now filled",
            "is filled",
            "was filled",
            "have filled",
            "filled the",
            "filled this",
            "been closed",
            "now closed",
            "is closed",
            "closing the",
            "closing all",
            "closing your",
            "closing this",
            "closing our search",
            "closed the",
            "closed all",
            "no longer accepting",
            "no longer open",
            "no longer available",
            "on hold",
            "been cancelled",
            "been canceled",
            # a withdrawn application is mostly the member's own doing; a withdrawn role is a "no"
            "withdrawn the role",
            "withdrawn the position",
            "withdrawn the vacancy",
        ),
        "aside": (
            "delay*",
            "slot*",
            "reschedul*",
            "postpon*",
            "move your interview",
            "move the interview",
            "moving your interview",
            "moving the interview",
            "push back",
            "a time",
            "another time",
            "new time",
            "different time",
            "times",
            "another date",
            "new date",
            "availability",
            "document*",
            "paperwork",
            "references",
            "reference check",
            "until",
            "yet",
            "instead",
            "if",
            "in case",
            "may not",
            "might not",
            "sick",
            "technical",
            "connection",
            "individually",
            "incomplete",
            "deadline",
            "as requested",
            "your request",
            "you asked",
            "personally",
            "every applicant",
            "every application",
            "each applicant",
            "each application",
            "hesitate",
            "can't wait",
            "cannot wait",
            "couldn't be happier",
            "not only",
            "no doubt",
        ),
    },
    "de": {
        "regret": (
            "leider",
            "bedauerlicherweise",
            "bedauern*",
            "zu unserem bedauern",
            "tut uns leid",
            "müssen wir ihnen mitteilen",
            "müssen wir dir mitteilen",
        ),
        "negation": ("nicht", "kein*", "nie", "niemals", "gegen"),
        "progress": (
            "berücksichtig*",
            "weiterverfolg*",
            "weiter verfolg*",
            "weiterzuverfolg*",
            "fortsetz*",
            "fortzusetz*",
            "fortführ*",
            "fortzuführ*",
            "weitermachen",
            "weiter … machen",
            "weiterkommen",
            "weitergehen",
            "einlad*",
            "einzuladen",
            "anbieten",
            "angebot",
            "zusage",
            "zusammenarbeit",
            "engere auswahl",
            "nächste runde",
            "ausgewählt",
            "passt",
            "passen",
            "entschieden",
            "berufen",
            "möglichkeit",
            "entspricht",
            "entsprechen",
            "einstellen",
        ),
        "object": (
            "bewerbung",
            "kandidatur",
            "sie",
            "ihnen",
            "ihre*",
            "dich",
            "dir",
            "dein*",
            "profil",
            "stelle",
            "position",
            "rolle",
            "prozess",
            "auswahlverfahren",
            "bewerbungsprozess",
            "vakanz",
        ),
        "post": (
            "bewerbung*",
            "kandidatur",
            "stelle",
            "position",
            "rolle",
            "vakanz",
            "prozess",
            "auswahlverfahren",
            "bewerbungsprozess",
        ),
        "others": (
            "andere* kandidat*",
            "andere* bewerber*",
            "andere* person*",
            "andere* bewerbung*",
            "andere* profil*",
            "anderweitig*",
            "jemand*",
            "intern* kandidat*",
            "passendere*",
            "besser pass*",
            "besser zu",
            "für ein* kandidat*",
            "für ein* bewerber*",
            "kandidat* mit",
            "kandidat* deren",
            "kandidat* dessen",
            "bewerber* mit",
            "bewerber* deren",
            "mehr erfahrung",
            "näher an",
        ),
        "choice": (
            "entschieden",
            "entschlossen",
            "gewählt",
            "ausgewählt",
            "den vorzug",
            "fortsetz*",
            "fortzusetz*",
            "fortführ*",
            "fortzuführ*",
            "weitermachen",
            "wahl",
            "besetzt",
            "besetzen",
            "eingestellt",
        ),
        "closed": (
            "besetzt",
            "vergeben",
            "geschlossen",
            "eingestellt",
            "gestoppt",
            "auf eis",
            "abgeschlossen",
        ),
        "aside": (
            "verschieb*",
            "verschob*",
            "verleg*",
            "termin*",
            "zeitfenster",
            "uhrzeit",
            "verfügbarkeit",
            "unterlagen",
            "dokument*",
            "nachweis*",
            "verzögerung",
            "verspätung",
            "noch nicht",
            "noch kein*",
            "bis",
            "sobald",
            "falls",
            "wenn",
            "sollten",
            "stattdessen",
            "krank*",
            "zögern",
            "nicht nur",
            "nicht vergessen",
            "unvollständig*",
            "frist",
            "auf ihren wunsch",
            "auf deinen wunsch",
        ),
    },
    "fr": {
        "regret": (
            "malheureusement",
            "regrett*",
            "regret",
            "désolé*",
            "navré*",
            "hélas",
            "au regret",
        ),
        "negation": ("ne", "n'", "pas", "aucun*", "jamais"),
        "progress": (
            "retenir",
            "retenu*",
            "suite",
            "poursuiv*",
            "poursuite",
            "continuer",
            "sélectionn*",
            "convier",
            "inviter",
            "proposer",
            "avancer",
            "aller plus loin",
            "correspond*",
            "favorable*",
            "engager",
            "embaucher",
            "accueillir",
            "prochaine étape",
            "étape suivante",
        ),
        "object": (
            "candidature",
            "vous",
            "votre",
            "vos",
            "profil",
            "poste",
            "processus",
            "recrutement",
            "offre",
            "démarche",
        ),
        "post": ("candidature*", "poste", "processus", "recrutement", "offre"),
        "others": (
            "autre* candidat*",
            "une autre candidature",
            "autre* profil*",
            "un profil plus",
            "des profils plus",
            "plus adapté*",
            "correspond* davantage",
            "correspond* mieux",
            "plus proche*",
            "une autre personne",
            "quelqu'un",
            "candidat interne",
            "un* candidat* dont",
            "un* candidat* qui",
            "un* candidat* avec",
            "plus d'expérience",
        ),
        "choice": (
            "décidé",
            "choisi",
            "choix",
            "retenu*",
            "sélectionné*",
            "privilégi*",
            "attribué*",
            "confié*",
            "opté",
            "poursuivre avec",
            "poursuivre le processus",
            "continuer avec",
        ),
        "closed": ("pourvu*", "clôtur*", "fermé*", "annulé*", "suspendu*", "n'est plus ouvert*"),
        "aside": (
            "report*",
            "décal*",
            "reprogramm*",
            "créneau*",
            "disponibilit*",
            "retard",
            "délai",
            "documents",
            "pièces",
            "justificatif*",
            "pas encore",
            "hésitez",
            "hésiter",
            "jusqu'à",
            "tant que",
            "si",
            "s'il",
            "au lieu",
            "à la place",
            "malade",
            "pas seulement",
            "ne manquez pas",
            "incomplet*",
            "date limite",
            "à votre demande",
        ),
    },
    "es": {
        "regret": (
            "lamentablemente",
            "desafortunadamente",
            "por desgracia",
            "lamentamos",
            "lamento",
            "sentimos",
            "lo siento",
            "nos apena",
            "a nuestro pesar",
        ),
        "negation": ("no", "ningún", "ninguna", "nunca", "tampoco", "ya no"),
        "progress": (
            "continuar*",
            "seguir*",
            "seguiremos",
            "avanzar*",
            "adelante",
            "seleccionad*",
            "elegid*",
            "ofrecer*",
            "invitar*",
            "considerar*",
            "proceder",
            "prosperado",
            "encaj*",
            "ajusta*",
            "contar con*",
            "pasar a",
            "siguiente fase",
            "próxima fase",
        ),
        "object": (
            "candidatura",
            "solicitud",
            "tu",
            "su",
            "te",
            "perfil",
            "puesto",
            "posición",
            "vacante",
            "proceso",
            "oferta",
            "postulación",
        ),
        "post": (
            "candidatura*",
            "solicitud*",
            "puesto",
            "posición",
            "vacante",
            "proceso",
            "oferta",
            "postulación",
        ),
        "others": (
            "otro* candidat*",
            "otra* candidat*",
            "otra persona",
            "otras personas",
            "otro perfil",
            "otros perfiles",
            "perfil más",
            "perfiles más",
            "se ajusta* más",
            "encaja* mejor",
            "más alineado*",
            "alguien",
            "un perfil con",
            "por un* candidat*",
            "a un* candidat*",
            "candidat* con",
            "candidat* cuy*",
            "perfil* cuy*",
            "más experiencia",
            "candidato interno",
        ),
        "choice": (
            "decidido",
            "optado",
            "elegido",
            "seleccionado",
            "seleccionada",
            "continuar con",
            "seguir con",
            "avanzar con",
            "contratado",
            "decantado",
        ),
        "closed": (
            "cubierto",
            "cubierta",
            "cerrado",
            "cerrada",
            "cerrar",
            "cerramos",
            "ocupad*",
            "finalizado",
            "ha concluido",
            "ya no está disponible",
        ),
        "aside": (
            "reprogram*",
            "aplaz*",
            "pospon*",
            "fecha",
            "horario",
            "disponibilidad",
            "documentos",
            "documentación",
            "retraso",
            "demora",
            "todavía",
            "aún no",
            "aun no",
            "hasta que",
            "si",
            "en caso",
            "en lugar",
            "dudes",
            "dude",
            "olvides",
            "enferm*",
            "no solo",
            "incomplet*",
            "plazo",
            "a petición",
            "como solicitaste",
        ),
    },
    "nl": {
        "regret": (
            "helaas",
            "tot onze spijt",
            "jammer genoeg",
            "het spijt ons",
            "spijt",
            "teleurstellend",
        ),
        "negation": ("niet", "geen", "nooit", "onvoldoende"),
        "progress": (
            "verder",
            "door naar",
            "doorgaan",
            "uitnodig*",
            "uit te nodigen",
            "aanbieden",
            "aanbod",
            "selecteren",
            "geselecteerd",
            "in aanmerking",
            "in behandeling",
            "vervolg*",
            "voortzetten",
            "aansl*",
            "match",
            "passen",
            "past",
            "gekozen",
            "volgende ronde",
            "volgende stap",
            "gevallen",
            "aan bij",
        ),
        "object": (
            "sollicitatie",
            "kandidatuur",
            "je",
            "jou",
            "jouw",
            "u",
            "uw",
            "profiel",
            "functie",
            "vacature",
            "rol",
            "positie",
            "procedure",
            "proces",
        ),
        "post": (
            "sollicitatie*",
            "kandidatuur",
            "functie",
            "vacature",
            "rol",
            "positie",
            "procedure",
            "proces",
        ),
        "others": (
            "andere kandida*",
            "een andere sollicitant",
            "andere sollicitanten",
            "iemand",
            "een ander profiel",
            "beter aansl*",
            "beter past",
            "beter passend*",
            "beter bij",
            "interne kandidaat",
            "voor een kandida*",
            "voor een sollicitant",
            "kandida* met",
            "kandida* wiens",
            "kandida* wier",
            "meer ervaring",
        ),
        "choice": (
            "besloten",
            "gekozen",
            "geselecteerd",
            "verder met",
            "doorgaan met",
            "keuze",
            "aangenomen",
        ),
        "closed": ("vervuld", "ingevuld", "gesloten", "vergeven", "sluiten … af", "on hold"),
        "aside": (
            "verzet*",
            "verplaats*",
            "verschuiv*",
            "uitstel*",
            "ander moment",
            "nieuw moment",
            "andere datum",
            "tijdslot",
            "beschikbaarheid",
            "documenten",
            "vertraging",
            "nog niet",
            "nog geen",
            "totdat",
            "indien",
            "mocht",
            "in plaats",
            "aarzel",
            "ziek",
            "ontbreekt",
            "onvolledig*",
            "deadline",
            "op je verzoek",
            "op uw verzoek",
        ),
    },
}
# Words that end the reach of a "not": a new clause begins.
CLAUSE_BREAKS = (",", " but ", " however ", " aber ", " sondern ", " mais ", " pero ", " sino ", " maar ")
NEGATION_REACH = 6  # words between a "not" and the verb it negates
# A look-alike phrase ends the clause the "not" began: "we won't be taking your application to the
# next stage" is no next-round mail.
LOOKALIKE_REACH = 8
# German and Dutch put the verb second, so their "not" may also follow what it negates
# ("leider passt dein Profil nicht", "je profiel past niet bij de functie").
NEGATION_FOLLOWS: frozenset[Language] = frozenset({"de", "nl"})

# Senders that only ever send job alerts and newsletters.
JOB_BOARD_DOMAINS = (
    "linkedin.com",
    "indeed.com",
    "glassdoor.com",
    "stepstone.de",
    "xing.com",
    "monster.com",
    "welcometothejungle.com",
    "infojobs.net",
    "nationalevacaturebank.nl",
)
# The ATSs send from their own domains: the sender's domain is then not the company's.
ATS_DOMAINS = (
    "greenhouse.io",
    "greenhouse-mail.io",
    "lever.co",
    "ashbyhq.com",
    "ashbyhq-mail.com",
    "myworkday.com",
    "myworkdayjobs.com",
    "workday.com",
    "smartrecruiters.com",
    "icims.com",
    "personio.de",
    "personio.com",
    "teamtailor.com",
    "teamtailor-mail.com",
    "workablemail.com",
    "workable.com",
    "recruitee.com",
    "jobvite.com",
    "successfactors.com",
    "taleo.net",
    "bamboohr.com",
    "jazzhr.com",
    "breezy.hr",
)
FREE_MAIL_DOMAINS = (
    "gmail.com",
    "googlemail.com",
    "outlook.com",
    "hotmail.com",
    "live.com",
    "yahoo.com",
    "icloud.com",
    "me.com",
    "gmx.de",
    "gmx.net",
    "web.de",
    "proton.me",
    "protonmail.com",
)
ATS_NAMES = (
    "greenhouse",
    "lever",
    "ashby",
    "workday",
    "smartrecruiters",
    "icims",
    "personio",
    "teamtailor",
    "workable",
    "recruitee",
)
# Words around a company's name in a sender's display name ("Northwind Data Recruiting",
# "Hiring Team at Northwind Data"), none of which is the name.
_DISPLAY_SUFFIXES = (
    "talent acquisition team",
    "talent acquisition",
    "recruiting team",
    "recruitment team",
    "hiring team",
    "talent team",
    "people team",
    "careers team",
    "recruiting",
    "recruitment",
    "careers",
    "career",
    "jobs",
    "talent",
    "hiring",
    "hr",
    "people",
    "team",
    "karriere",
    "recrutement",
    "reclutamiento",
    "empleo",
    "werving",
    "bewerbermanagement",
    "personalabteilung",
)
_GENERIC_NAMES = frozenset(
    {
        "no-reply",
        "noreply",
        "do not reply",
        "notifications",
        "notification",
        "the",
        "our",
        "your",
        "we",
        "hiring",
        "recruiting",
        "talent",
        "team",
        "hr",
        "careers",
        "jobs",
        "people",
        "das",
        "ihr",
        "dein",
        "le",
        "la",
        "el",
        "het",
        "de",
        "unser",
        "unsere",
        "l'équipe",
        "equipo",
    }
    | set(ATS_NAMES)
)
LEGAL_FORMS = (
    "gmbh",
    "ag",
    "se",
    "inc",
    "inc.",
    "ltd",
    "ltd.",
    "llc",
    "b.v.",
    "bv",
    "n.v.",
    "s.a.",
    "sa",
    "sas",
    "s.l.",
    "sl",
    "ab",
    "plc",
    "co.",
    "kg",
)


@dataclass(frozen=True)
class RejectionDecision:
    is_rejection: bool
    reason: str  # a few words, safe to store and show: the kinds that decided, never the content
    company: str | None  # as the mail names it ("Northwind Data"); None when no rule found it
    company_domain: str | None  # the sender's domain when it is the company's (not an ATS, not free mail)
    job_title: str | None
    received_at: datetime  # the original's Date: when the member learned of it
    language: Language | None  # the language whose phrases matched most
    confidence: float  # 0..1: the rejection phrases' share of all that matched
    rule: str  # the phrases that matched, "en:rejection:not be moving forward; ..."


def decide(original: Original) -> RejectionDecision:
    """Decide whether `original` is a rejection, and read its company and job title."""
    subject = _clean(original.subject)
    body = _clean(original.text[:MAX_TEXT])
    text = _normalise(subject + "\n\n" + body)
    sentences, clauses = _sentences(text), _clauses(text)
    words = _words(text)
    marks = _marks(text, words)
    asides = {
        language: {_position(clauses, start) for start, _, _ in marks.get((language, "aside"), ())}
        for language in CUES
    }
    found = _phrase_hits(text, words, marks, sentences, clauses, asides)
    hits = [(language, kind, phrase) for language, kind, phrase, _ in found]
    hits += _sentence_hits(text, marks, sentences, clauses, asides, found)
    scores: dict[Kind, float] = {}
    for _, kind, _ in hits:
        scores[kind] = scores.get(kind, 0.0) + WEIGHT[kind]
    domain = (original.sender.domain or "").lower()
    if _in_domains(domain, JOB_BOARD_DOMAINS):
        scores["job_alert"] = scores.get("job_alert", 0.0) + 2.0
        hits.append(("en", "job_alert", "sender is a job board"))
    yes = scores.get("rejection", 0.0) + scores.get("weak_rejection", 0.0)
    no = sum(score for kind, score in scores.items() if kind not in ("rejection", "weak_rejection"))
    is_rejection = scores.get("rejection", 0.0) > 0 and yes > no
    languages: dict[Language, int] = {}
    for matched, _, _ in hits:
        languages[matched] = languages.get(matched, 0) + 1
    language: Language | None = None
    if languages:
        language = max(languages.items(), key=lambda item: item[1])[0]
    if is_rejection:
        reason = "rejection phrases"
    elif no:
        top = max(
            (kind for kind in scores if kind not in ("rejection", "weak_rejection")), key=scores.__getitem__
        )
        reason = f"reads as {top.replace('_', ' ')}"
    else:
        reason = "no rejection phrase"
    company, company_domain = company_of(original, subject, body)
    return RejectionDecision(
        is_rejection=is_rejection,
        reason=reason,
        company=company,
        company_domain=company_domain,
        job_title=job_title_of(subject, body),
        received_at=original.date,
        language=language,
        confidence=round(yes / (yes + no), 2) if yes + no else 0.0,
        rule="; ".join(f"{matched}:{kind}:{phrase}" for matched, kind, phrase in hits)[:500],
    )


# --- phrases ---


def _normalise(text: str) -> str:
    """Casefolded, one space between words, and a paragraph break (a blank line) kept as a pilcrow:
    a sentence never runs across one."""
    text = unicodedata.normalize("NFC", text).replace("’", "'").replace("`", "'").replace("\xa0", " ")
    paragraphs = re.split(r"\n[ \t]*\n", text.replace("\r\n", "\n").replace("¶", " "))
    return " ¶ ".join(" ".join(part.casefold().split()) for part in paragraphs)


def _clean(text: str) -> str:
    return "\n".join(
        line if line.isprintable() else "".join(ch if ch.isprintable() or ch == "\t" else " " for ch in line)
        for line in text.split("\n")
    )


def _pattern(entry: str) -> str:
    """A table entry as a pattern: words end at word edges, "…" is a gap of up to eight words, and a
    word ending in "*" may go on ("consider*": "considered", "considering")."""

    def word(text: str) -> str:
        return re.escape(text[:-1]) + r"\w*" if text.endswith("*") else re.escape(text)

    parts = [r"\s+".join(map(word, part.split())) for part in entry.lstrip("*").split("…")]
    pattern = r"(?:\s+\S+){0,8}?\s+".join(parts)
    if entry[:1].isalnum():
        pattern = r"(?<!\w)" + pattern  # a leading "*" lets the entry begin inside a word: "*n't"
    if entry[-1:].isalnum():
        pattern += r"(?!\w)"
    return pattern


class _Index[T]:
    """Table entries by the first word they cannot match without, so that a mail is tried only
    against the entries whose first word it holds: a set lookup per word of the mail, not a search
    per entry of the tables. A stem ("consider*") or a word with an apostrophe ("*n't") is tried
    as a substring instead."""

    def __init__(self, entries: list[tuple[str, T]]) -> None:
        self._payloads = [payload for _, payload in entries]
        self._by_word: dict[str, list[int]] = {}
        self._stems: list[tuple[str, int]] = []
        for index, (entry, _) in enumerate(entries):
            first = entry.split("…")[0].split()[0]
            if "*" not in first and first.isalnum():
                self._by_word.setdefault(first, []).append(index)
            else:
                self._stems.append((first.strip("*"), index))

    def candidates(self, text: str, words: frozenset[str]) -> list[T]:
        """The entries that may match `text` (whose words are `words`), in table order."""
        found = [index for word in words & self._by_word.keys() for index in self._by_word[word]]
        found += [index for stem, index in self._stems if stem in text]
        return [self._payloads[index] for index in sorted(found)]


def _words(text: str) -> frozenset[str]:
    return frozenset(re.findall(r"\w+", text))


@cache
def _compiled() -> _Index[tuple[Language, Kind, str, re.Pattern[str]]]:
    """Each phrase as (language, kind, phrase, its pattern)."""
    return _Index(
        [
            (phrase, (language, kind, phrase, re.compile(_pattern(phrase))))
            for language, kinds in PHRASES.items()
            for kind, phrases in kinds.items()
            for phrase in phrases
        ]
    )


Span = tuple[int, int]
Found = tuple[Language, Kind, str, Span]
Marks = dict[tuple[Language, Cue], list[tuple[int, int, str]]]


def _phrase_hits(
    text: str,
    words: frozenset[str],
    marks: Marks,
    sentences: list[int],
    clauses: list[int],
    asides: dict[Language, set[int]],
) -> list[Found]:
    """The phrases found, each once. A look-alike phrase does not count when it lies inside a
    rejection phrase ("not … move forward with your application" is no next round) or when its
    language's "not" stands just before it ("niet uit te nodigen voor de volgende ronde"); a
    rejection phrase does not count in a clause that is about something else ("…, dass wir
    unvollständige Bewerbungen nicht berücksichtigen können")."""
    found: list[Found] = []
    for language, kind, phrase, pattern in _compiled().candidates(text, words):
        match = pattern.search(text)
        if match:
            found.append((language, kind, phrase, match.span()))
    rejection_spans = [span for _, kind, _, span in found if kind == "rejection"]
    kept: list[Found] = []
    seen: set[tuple[Kind, str]] = set()
    for language, kind, phrase, (start, end) in found:
        if kind == "rejection" and _position(clauses, start) in asides[language]:
            continue
        if kind not in ("rejection", "weak_rejection", "conditional"):
            if any(start < e and s < end for s, e in rejection_spans):
                continue
            if _negated(text, marks, language, start, sentences, LOOKALIKE_REACH):
                continue
        if (kind, phrase) in seen:
            continue  # the same words in two languages' tables count once
        seen.add((kind, phrase))
        kept.append((language, kind, phrase, (start, end)))
    return kept


# --- sentences ---


_SENTENCE_END = r"[.!?;](?=\s)|¶"
_CLAUSE_END = "|".join(
    [_SENTENCE_END, ",", ":"]
    + [rf"(?<!\w){re.escape(brk.strip())}(?!\w)" for brk in CLAUSE_BREAKS if brk.strip() != ","]
)


def _sentences(text: str) -> list[int]:
    """Where each sentence starts: after a full stop, a question or exclamation mark, a semicolon
    or a paragraph break."""
    return [0] + [match.end() for match in re.finditer(_SENTENCE_END, text)]


def _clauses(text: str) -> list[int]:
    """Where each clause starts: a sentence, or after a comma, a colon or a "but"."""
    return [0] + [match.end() for match in re.finditer(_CLAUSE_END, text)]


@cache
def _compiled_cues() -> _Index[tuple[Language, Cue, re.Pattern[str]]]:
    """Each cue entry as (language, cue, its pattern)."""
    return _Index(
        [
            (entry, (language, cue, re.compile(_pattern(entry))))
            for language, cues in CUES.items()
            for cue, entries in cues.items()
            for entry in entries
        ]
    )


def _marks(text: str, words: frozenset[str]) -> Marks:
    """Every cue found in the text, by language and kind, in order."""
    marks: Marks = {}
    for language, cue, pattern in _compiled_cues().candidates(text, words):
        for match in pattern.finditer(text):
            marks.setdefault((language, cue), []).append((match.start(), match.end(), match.group()))
    for spans in marks.values():
        spans.sort()
    return marks


def _position(starts: list[int], position: int) -> int:
    """The index of the sentence (or clause) that holds `position`, given where each starts."""
    return bisect_right(starts, position) - 1


def _negated(
    text: str, marks: Marks, language: Language, start: int, sentences: list[int], reach: int
) -> bool:
    """Whether a "not" of `language` reaches the words at `start`: at most `reach` words before
    them, in the same sentence and clause."""
    sentence = sentences[_position(sentences, start)]
    for _, end, _ in marks.get((language, "negation"), ()):
        if sentence <= end <= start and _reaches(text[end:start], reach):
            return True
    return False


def _reaches(gap: str, reach: int = NEGATION_REACH) -> bool:
    return len(gap.split()) <= reach and not any(brk in f" {gap} " for brk in CLAUSE_BREAKS)


def _sentence_hits(
    text: str,
    marks: Marks,
    sentences: list[int],
    clauses: list[int],
    asides: dict[Language, set[int]],
    found: list[Found],
) -> list[tuple[Language, Kind, str]]:
    """A "no" said in words the phrase tables lack, read sentence by sentence (see CUES)."""
    # A sentence that holds a table phrase is already read: a rejection phrase said its "no", and a
    # look-alike phrase (not negated) makes the sentence the look-alike's.
    taken = {_position(sentences, start) for _, kind, _, (start, _) in found if kind != "weak_rejection"}
    by_sentence: dict[int, dict[tuple[Language, Cue], list[tuple[int, int, str]]]] = {}
    for key, spans in marks.items():
        for span in spans:
            by_sentence.setdefault(_position(sentences, span[0]), {}).setdefault(key, []).append(span)
    hits: list[tuple[Language, Kind, str]] = []
    for index in sorted(by_sentence.keys() - taken):
        cues = by_sentence[index]
        for language in CUES:
            # a cue in a clause that holds an aside is about the delay, the slot, the documents
            kept = {
                cue: [
                    m
                    for m in cues.get((language, cue), [])
                    if _position(clauses, m[0]) not in asides[language]
                ]
                for cue in CUES[language]
            }
            why = _says_no(text, language, kept)
            if why:
                hits.append((language, "rejection", why))
                break
    return hits


def _says_no(text: str, language: Language, cues: dict[Cue, list[tuple[int, int, str]]]) -> str | None:
    """Which combination of one language's cues makes this sentence a "no", if any."""

    def first(cue: Cue) -> str:
        return cues[cue][0][2]

    if cues["others"] and cues["choice"]:
        return f"{first('choice')} … {first('others')}"
    if cues["closed"] and cues["post"]:
        return f"{first('post')} … {first('closed')}"
    if cues["object"] or cues["regret"]:
        for n_start, n_end, negation in cues["negation"]:
            for p_start, p_end, progress in cues["progress"]:
                if n_end <= p_start and _reaches(text[n_end:p_start]):
                    return f"{negation} … {progress}"
                if language in NEGATION_FOLLOWS and p_end <= n_start and _reaches(text[p_end:n_start]):
                    return f"{progress} … {negation}"
    if cues["regret"] and cues["choice"] and cues["object"]:
        return f"{first('regret')} … {first('choice')}"
    return None


# --- company ---


def _in_domains(domain: str, domains: tuple[str, ...]) -> bool:
    return any(domain == known or domain.endswith("." + known) for known in domains)


# A capitalised word ("Northwind", "B.V.", "Lindqvist"), and a name as a run of them on one line
# ("Harbor & Finch", "Banque de France"); a full stop ends it unless a letter follows.
_NAME_WORD = r"[A-ZÄÖÜÀ-Ý0-9][\w&'’-]*(?:\.(?=\w)[\w&'’-]*)*"
_NAME = rf"({_NAME_WORD}(?:[ \t]+(?:{_NAME_WORD}|&|and|of|de|van|der))*)"
_COMPANY_PATTERNS = tuple(
    re.compile(pattern)
    for pattern in (
        # subjects and bodies: "Your application to Northwind Data", "Ihre Bewerbung bei Blauwal"
        rf"(?i:application|applying|applied)\s+(?i:to|at|with)\s+{_NAME}",
        rf"(?i:interest)\s+(?i:in|at)\s+(?i:joining\s+)?{_NAME}",
        rf"(?i:position|role|opening|opportunity)\s+(?i:at|with)\s+{_NAME}",
        rf"(?i:team)\s+(?i:at)\s+{_NAME}",
        rf"(?i:bewerbung|interesse|interesse an)\s+(?i:bei|an)\s+(?i:der\s+|die\s+)?{_NAME}",
        rf"(?i:stelle|position)\s+(?i:bei)\s+(?i:der\s+)?{_NAME}",
        rf"(?i:candidature|intérêt)\s+(?i:chez|pour|à)\s+{_NAME}",
        rf"(?i:poste)\s+(?:[^\n.]{{0,60}}?)\s+(?i:chez|au sein de)\s+{_NAME}",
        rf"(?i:candidatura|interés)\s+(?i:en|por)\s+{_NAME}",
        rf"(?i:puesto|posición)\s+(?:[^\n.]{{0,60}}?)\s+(?i:en)\s+{_NAME}",
        rf"(?i:sollicitatie|interesse)\s+(?i:bij|in)\s+{_NAME}",
        rf"(?i:functie|vacature)\s+(?:[^\n.]{{0,60}}?)\s+(?i:bij)\s+{_NAME}",
        # signatures: "The Northwind Data Team", "Dein Blauwal Team", "L'équipe Lumière", "El equipo de Sol"
        rf"(?im:^(?:the|das|dein|ihr|euer|het)\s+){_NAME}\s+(?i:team|recruiting team|hiring team)\s*$",
        rf"(?im:^(?:l'équipe|l’équipe|el equipo de|team)\s+){_NAME}\s*$",
    )
)


def company_of(original: Original, subject: str, body: str) -> tuple[str | None, str | None]:
    """The company's name and mail domain. The name comes from the sender's display name, else the
    subject, else the body and its signature; the domain is the sender's unless an ATS or free-mail
    provider sent the mail."""
    sender = original.sender
    domain = (sender.domain or "").lower() or None
    company_domain = (
        domain
        if domain and not _in_domains(domain, ATS_DOMAINS) and not _in_domains(domain, FREE_MAIL_DOMAINS)
        else None
    )
    name = _from_display_name(sender.name, sender.address or "", company_domain)
    if name is None:
        for text in (subject, body):
            for pattern in _COMPANY_PATTERNS:
                match = pattern.search(text)
                if match:
                    name = _company_name(match.group(1))
                    if name:
                        break
            if name:
                break
    if name is None and company_domain:
        label = company_domain.split(".")[-2] if company_domain.count(".") >= 1 else company_domain
        name = label.replace("-", " ").title() or None
    return name, company_domain


def _from_display_name(display: str, address: str, company_domain: str | None) -> str | None:
    name = " ".join(display.replace('"', " ").split())
    if not name or "@" in name:
        return None
    name = re.sub(r"\s*[(\[]?\s*\bvia\b\s+[^)\]]+[)\]]?\s*$", "", name, flags=re.I)  # "X via Greenhouse"
    name = re.sub(
        r"^(?:the\s+)?(?:hiring team|recruiting team|talent team|careers|recruiting|jobs|team)"
        r"\s+(?:at|@|bei|von|chez|de)\s+",
        "",
        name,
        flags=re.I,
    )
    # "Talent Team | Verdant Bank", "Careers - Northwind": keep the part that is not a department
    parts = [part.strip() for part in re.split(r"\s+[|–-]\s+|:\s+", name) if part.strip()]
    named = [
        part for part in parts if part.lower() not in _DISPLAY_SUFFIXES and part.lower() not in _GENERIC_NAMES
    ]
    name = named[0] if named else name
    lowered = name.lower()
    for prefix in _DISPLAY_SUFFIXES:  # "Werving Tulp & Co", "Recruiting Northwind"
        if lowered.startswith(prefix + " "):
            name = name[len(prefix) + 1 :].strip()
            lowered = name.lower()
    for suffix in _DISPLAY_SUFFIXES:
        for joiner in (" ", " - ", " | ", " – "):
            if lowered.endswith(joiner + suffix):
                name = name[: -len(joiner + suffix)].strip()
                lowered = name.lower()
    if _person_name(name, address, company_domain):
        return None
    return _company_name(name)


def _person_name(name: str, address: str, company_domain: str | None) -> bool:
    """A person's name rather than the company's: its words are the address's local part
    ("Mei Tanaka" <mei.tanaka@...>) and not the company's domain."""
    if company_domain is None:
        return False
    local = address.partition("@")[0].lower()
    label = company_domain.split(".")[-2] if "." in company_domain else company_domain
    words = [word.lower() for word in re.findall(r"\w{3,}", name)]
    return bool(words) and any(word in local for word in words) and not any(word in label for word in words)


def _company_name(candidate: str) -> str | None:
    name = " ".join(candidate.strip(" .,:;-–|'\"").split())
    words = name.split()
    while words and words[-1].lower() in ("team", "recruiting", "talent", "hiring", "and", "&", "of"):
        words.pop()
    while words and words[0].lower() in _GENERIC_NAMES:
        words.pop(0)
    name = " ".join(words)
    if not name or name.lower() in _GENERIC_NAMES or len(name) > 80 or len(words) > 6:
        return None
    return name


# --- job title ---

_T = r"[„\"“'«]?\s*([^\n.,;:!?()\[\]\"“”„«»]{2,80}?)\s*[\"“”'»]?"
# Between two fixed words ("for the ... position") a title may hold a comma: "Staff Engineer, Infrastructure".
_TB = r"[„\"“'«]?\s*([^\n.;:!?()\[\]\"“”„«»]{2,80}?)\s*[\"“”'»]?"
_END = (
    r"(?=\s*(?:[.,;:!?()\[\]\n]|$|\s(?:at|with|bei|chez|en|bij|in|von|für|pour|para|voor|au sein)\s"
    r"|\s(?:and we|and our|und wir|et nous|et vous|y nos|y le|en we|en wij)\b))"
)
_TITLE_PATTERNS = tuple(
    re.compile(pattern, re.I)
    for pattern in (
        rf"(?:for|to) the (?:position|role|job) of {_T}{_END}",
        rf"(?:for|to|in|about|on) the {_TB} (?:position|role|opening|vacancy|job|opportunity)",
        rf"(?:position|role|job title|vacancy)\s*:\s*{_T}{_END}",
        rf"(?:your )?application for (?:the )?{_T}{_END}",
        rf"applying for (?:the )?{_T}{_END}",
        rf"bewerbung als {_T}{_END}",
        rf"(?:bewerbung|interesse) (?:für|auf|an) (?:die|der) (?:position|stelle|rolle)"
        rf"(?: als| zum| zur)? {_T}{_END}",
        rf"(?:die|der) (?:position|stelle|rolle) (?:als |zum |zur )?{_T}{_END}",
        rf"candidature (?:au|pour le|pour la) (?:poste|fonction) (?:de |d'|d’)?{_T}{_END}",
        rf"(?:pour le|au) poste (?:de |d'|d’)?{_T}{_END}",
        rf"(?:candidatura|solicitud) (?:para|al|a la|a) (?:el |la )?(?:puesto|posición|vacante|oferta)"
        rf"(?: de)? {_T}{_END}",
        rf"(?:el puesto|la posición|la vacante) de {_T}{_END}",
        rf"sollicitatie (?:voor|naar|op) de (?:functie|vacature|positie)(?: van| als)? {_T}{_END}",
        rf"sollicitatie (?:als|voor) {_T}{_END}",
        rf"(?:de functie|de vacature|de positie) (?:van |als )?{_T}{_END}",
    )
)
_GENDER = re.compile(
    r"\s*[(\[]?\b(?:m/w/d|w/m/d|m/f/d|f/m/d|m/w/x|h/f|f/h|m/v|m/v/x|m/f/x|all genders)\b[)\]]?", re.I
)
_REQUISITION = re.compile(r"\s*(?:[(\[]\s*)?(?:\b(?:R|REQ|JR|ID)[- ]?\d{3,}\b|#\d{3,})(?:\s*[)\]])?", re.I)
_NOT_A_TITLE = frozenset(
    {
        "your",
        "you",
        "we",
        "our",
        "us",
        "uns",
        "ihre",
        "vous",
        "votre",
        "tu",
        "su",
        "je",
        "uw",
        "this",
        "the",
        "a",
        "an",
    }
)


def job_title_of(subject: str, body: str) -> str | None:
    """The job title where the mail says it ("for the Staff Platform Engineer position",
    "Ihre Bewerbung als ...", "votre candidature au poste de ..."), without gender markers such as
    "(m/w/d)" or requisition numbers."""
    for text in (body, subject):
        cleaned = _REQUISITION.sub("", _GENDER.sub("", text))
        for pattern in _TITLE_PATTERNS:
            for match in pattern.finditer(cleaned):
                title = _title(match.group(1))
                if title:
                    return title
    return None


def _title(candidate: str) -> str | None:
    title = " ".join(candidate.strip(" -–|'\"„“”«»").split())
    title = re.sub(r"\s+(?:position|role|stelle|poste|puesto|functie)$", "", title, flags=re.I)
    words = title.split()
    if not 1 <= len(words) <= 8 or words[0].lower() in _NOT_A_TITLE:
        return None
    if not any(ch.isupper() for ch in title[:1]) and not title[:1].isdigit():
        return None  # a title is written capitalised; lower-case words here are a sentence
    return title
