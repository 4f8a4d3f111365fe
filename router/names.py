"""A small gazetteer of common Colombian first names and surnames, folded (lower case, no accents).

Used by the PERSON recognizer only next to an introduction ("hablas con…", "pregunten por…",
"atentamente,…", "don…"): there a capitalised word must be a known name, and a lower-case name
("me llamo andres felipe") is read only word by word from these lists. It is not a NER: a name
never counts here without its introduction. Words that are also ordinary Spanish or product
vocabulary ("rosa", "luz", "paz", "angel", "jesus", "margarita") are kept out of the lower-case
lists and only count capitalised after an introduction (AMBIGUOUS_NAMES).
"""

from __future__ import annotations

from typing import Final


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


FIRST_NAMES: Final = _words(
    """
        juan jose luis carlos jorge andres felipe santiago sebastian alejandro daniel david diego camilo mauricio
        oscar julian javier fernando ricardo alberto eduardo hernando hernan gustavo jaime jairo alvaro mario miguel
        pedro pablo rafael ramiro rodrigo sergio wilson william fabio german gabriel hector ivan jhon john jhonatan
        jonathan kevin brayan bryan cristian christian esteban mateo nicolas samuel simon tomas emilio martin manuel
        francisco antonio enrique ernesto edgar edwin fredy freddy giovanny harold hugo leonardo orlando omar raul
        rene ruben victor wilmer yesid yeison stiven steven duvan arley alexander alexis adrian arturo armando
        benjamin cesar dario elkin fabian gilberto gonzalo guillermo humberto ignacio jeferson jefferson leandro
        marco marcos nelson norberto octavio reinaldo roberto rodolfo rolando saul ulises wilfredo yamid andrey
        agustin emmanuel joaquin maximiliano matias thiago jeronimo alfonso alfredo anderson efrain eliecer fernan
        gerardo henry jhony johnny jimmy libardo milton nestor ovidio richard uriel yovany jhoan johan juanes maria
        ana laura andrea carolina catalina camila valentina daniela natalia paola diana sandra claudia patricia
        martha marta luisa fernanda juliana alejandra adriana angela beatriz carmen cecilia clara constanza dayana
        elena elizabeth erika gabriela isabel isabella jennifer jessica johana johanna julieta karen katherine leidy
        lina liliana lorena lucia manuela mariana marcela maritza melissa monica nancy olga paula sara sofia silvia
        stella tatiana vanessa veronica viviana yolanda yuliana yesenia xiomara ximena zulma antonia emilia salome
        valeria luciana nohora dora fanny gladys myriam miriam ines esther lucy ruth marlen sonia teresa rubiela
        yaneth janeth astrid eliana estefania jimena lizeth luisa magda mayerly milena nataly sandra shirley susana
        yamile yurany yuri wendy alba ingrid jazmin lady liseth
        """
)

SURNAMES: Final = _words(
    """
        garcia rodriguez martinez gonzalez lopez hernandez perez gomez sanchez ramirez diaz torres rojas vargas
        moreno jimenez munoz castro ortiz ruiz alvarez romero suarez gutierrez herrera restrepo ospina castano
        londono quintero mejia zapata cardenas valencia arango giraldo osorio salazar duque velez jaramillo henao
        montoya cardona agudelo aristizabal betancur betancourt botero escobar gaviria echeverri uribe villa posada
        correa marin rios ramos reyes silva medina guerrero mendoza castillo pineda pardo parra pena bermudez
        beltran cortes camacho cano caicedo cabrera contreras delgado espinosa estrada fernandez florez fonseca gil
        guzman hurtado lozano mora morales murillo navarro nieto ocampo orozco ortega palacio palacios patino pulido
        quiroga rincon rivera rubio sierra soto tobon trujillo vasquez velasquez vega vera zuluaga bedoya benavides
        bustos calderon forero galeano gallego garzon ibarra lemus marulanda mosquera narvaez nunez obando oviedo
        penaloza prieto quiceno rendon salamanca serna sepulveda tamayo toro urrego valderrama villegas yepes alzate
        arias avila barrera buitrago carvajal chaves chavez cifuentes cuervo daza duarte figueroa gallo hoyos lara
        mesa molina monsalve naranjo neira ochoa pabon pacheco perea puentes quintana rueda saavedra santamaria
        sarmiento solano tellez vanegas zambrano castaneda lugo acosta aguilar angulo bolanos cordoba hincapie
        holguin lopera munera marquez valdez quinonez riascos valoyes asprilla renteria hinestroza mena cuesta sossa
        sosa ceballos cadavid arboleda alvarado ayala bernal clavijo
        """
)

# Names that are also common words or brands: only capitalised and right after an introduction.
AMBIGUOUS_NAMES: Final = _words(
    """
        angel luz rosa margarita gloria esperanza amparo consuelo pilar rocio blanca victoria dolores mercedes flor
        paz sol mar jesus salvador cruz leon franco blanco campos prado flores santos luna
        """
)

# First words of a business name: "a nombre de Comercializadora El Sol SAS" is not a person.
COMPANY_WORDS: Final = _words(
    """
        sas s.a.s s.a.s. ltda ltda. sa s.a. s.a eu e.u. cia inversiones comercializadora distribuidora
        distribuciones ferreteria drogueria almacen almacenes tienda supermercado minimercado panaderia industrias
        grupo corporacion fundacion empresa sociedad constructora inmobiliaria importadora exportadora cooperativa
        asociacion consultores servicios soluciones transportes logistica hotel restaurante colegio universidad
        clinica hospital banco farmacia agropecuaria productos alimentos
        """
)


def is_name_word(folded: str, *, capitalised: bool) -> bool:
    """True when a folded word is a known first name or surname (ambiguous ones only capitalised)."""
    if folded in AMBIGUOUS_NAMES:
        return capitalised
    return folded in FIRST_NAMES or folded in SURNAMES
