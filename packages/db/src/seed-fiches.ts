// The demo knowledge base: fiches written for Relais by the demo partners and the mission TIC, published, so a
// secretary finds the answer before filing. Plain facts of French public services, kept general on amounts.
import { markdownToText } from '@relais/core/knowledge'
import type { Kysely } from 'kysely'
import type { Database } from './schema.ts'
import type { TerritoryKind } from './schema.ts'

export interface DemoFiche {
  key: string
  /** The owning organisation's key in the tenant spec (tic, caf, prefecture…). */
  org: string
  /** Who published it (email of a person of that organisation). */
  by: string
  themes: string[]
  title: string
  body: string
  territory?: { kind: TerritoryKind; codes: string[] }
  /** A draft: never published. */
  draft?: boolean
  /** Past its review-by date, to show the stale flag. */
  stale?: boolean
}

export const INDRE_FICHES: DemoFiche[] = [
  // ---------------------------------------------------------------- CAF
  {
    key: 'apl-etudiant', org: 'caf', by: 'referent@caf36.demo', themes: ['aides-caf', 'logement-social'],
    title: 'APL : l’aide au logement des étudiants',
    body: `Un étudiant qui loue un logement (studio, chambre en résidence universitaire ou en colocation) peut recevoir une **aide personnalisée au logement (APL)** ou une allocation de logement, même s’il est encore rattaché au foyer fiscal de ses parents.

## Conditions
- être locataire en titre : le bail est à son nom (en colocation, chaque colocataire fait sa demande) ;
- un logement décent, qui est sa résidence principale ;
- l’aide n’est pas due pour un logement loué à ses parents.

## La demande
1. Faire une simulation puis la demande sur [caf.fr](https://www.caf.fr), rubrique « Faire une demande de prestation » ;
2. joindre le bail ou l’attestation de loyer signée par le propriétaire ou le CROUS ;
3. l’aide est versée à partir du mois qui suit l’entrée dans le logement, directement au bailleur le plus souvent.

Les parents qui perçoivent des allocations familiales pour cet enfant doivent vérifier l’effet sur leurs propres droits.`,
  },
  {
    key: 'prime-activite', org: 'caf', by: 'referent@caf36.demo', themes: ['aides-caf'],
    title: 'Prime d’activité : qui peut la recevoir et comment la demander',
    body: `La **prime d’activité** complète les revenus des personnes qui travaillent (salariés, indépendants, apprentis, étudiants salariés au-delà d’un certain revenu) à partir de 18 ans.

- Faire d’abord une **simulation** sur [caf.fr](https://www.caf.fr) : le montant dépend de tous les revenus du foyer ;
- la demande se fait en ligne, avec les revenus des trois derniers mois ;
- ensuite, une **déclaration trimestrielle de ressources** est obligatoire : sans elle, le versement s’arrête.

Le bénéficiaire du RSA qui reprend un emploi peut y avoir droit : la secrétaire peut l’inviter à refaire une simulation.`,
  },
  {
    key: 'naissance-caf', org: 'caf', by: 'referent@caf36.demo', themes: ['aides-caf'],
    title: 'Naissance ou arrivée d’un enfant : ce qu’il faut déclarer à la CAF',
    body: `Pour une grossesse, une naissance ou une adoption, la famille déclare l’événement sur son espace [caf.fr](https://www.caf.fr) ou l’application « Caf – Mon Compte ».

- **Grossesse** : la déclaration de grossesse faite par le médecin ou la sage-femme ouvre les droits à la prestation d’accueil du jeune enfant (PAJE) ;
- **naissance** : déclarer l’enfant dès l’acte de naissance établi par la mairie du lieu de naissance ;
- les **allocations familiales** sont versées à partir du deuxième enfant à charge.

Une famille qui n’est pas encore allocataire crée d’abord son compte et son dossier.`,
  },
  {
    key: 'changement-situation-caf', org: 'caf', by: 'referent@caf36.demo', themes: ['aides-caf'],
    title: 'Déclarer un changement de situation à la CAF (séparation, déménagement, emploi)',
    body: `Tout changement qui touche les droits doit être déclaré **rapidement** à la CAF, sinon les sommes versées à tort seront réclamées (trop-perçu).

Changements les plus fréquents :
- séparation ou mise en couple ;
- déménagement, changement de loyer ;
- reprise ou perte d’emploi, changement de revenus ;
- départ d’un enfant du foyer.

La déclaration se fait sur [caf.fr](https://www.caf.fr), rubrique « Mon compte – Déclarer un changement ». Sans ordinateur, la personne peut être aidée dans une maison France services.`,
  },
  {
    key: 'rsa', org: 'caf', by: 'referent@caf36.demo', themes: ['rsa-insertion'],
    title: 'RSA : conditions et première demande',
    body: `Le **revenu de solidarité active (RSA)** assure un revenu minimum aux personnes sans ressources ou à faibles ressources.

## Qui peut le demander ?
- les personnes de **25 ans et plus** résidant en France de façon stable ;
- avant 25 ans : un parent isolé, une femme enceinte, ou un jeune ayant travaillé au moins deux ans sur les trois dernières années.

## Comment ?
La demande se fait en ligne sur [caf.fr](https://www.caf.fr) (ou à la MSA pour le régime agricole). Le bénéficiaire est ensuite accompagné vers l’emploi ; le Conseil départemental de l’Indre organise cet accompagnement.

Une déclaration trimestrielle de ressources est obligatoire pour continuer à percevoir le RSA.`,
  },
  {
    key: 'ars', org: 'caf', by: 'referent@caf36.demo', themes: ['aides-caf'],
    title: 'Allocation de rentrée scolaire (ARS)',
    body: `L’**allocation de rentrée scolaire** aide les familles aux revenus modestes à payer les dépenses de la rentrée, pour chaque enfant scolarisé de 6 à 18 ans.

- Elle est versée **automatiquement fin août** aux allocataires qui y ont droit, pour les enfants de 6 à 15 ans ;
- pour un jeune de **16 à 18 ans**, la famille doit déclarer sa scolarité ou son apprentissage sur [caf.fr](https://www.caf.fr) ;
- une famille qui n’est pas allocataire mais a un seul enfant peut y avoir droit : elle doit se faire connaître de la CAF.`,
  },
  {
    key: 'garde-enfant', org: 'caf', by: 'referent@caf36.demo', themes: ['aides-caf'],
    title: 'Faire garder un jeune enfant : l’aide pour l’assistante maternelle (CMG)',
    body: `Le **complément de libre choix du mode de garde (CMG)** prend en charge une partie du salaire d’une assistante maternelle agréée ou d’une garde à domicile, pour un enfant de moins de 6 ans.

1. Faire la demande sur [caf.fr](https://www.caf.fr) dès l’embauche ;
2. déclarer chaque mois le salaire sur le site **Pajemploi** : la CAF verse l’aide et les cotisations sont prises en charge ;
3. la liste des assistantes maternelles disponibles est sur [monenfant.fr](https://monenfant.fr).`,
  },
  {
    key: 'trop-percu', org: 'caf', by: 'admin@caf36.demo', themes: ['aides-caf', 'rsa-insertion'],
    title: 'Trop-perçu CAF : contester la dette ou demander un échéancier',
    body: `Un **trop-perçu** est une somme versée à tort, le plus souvent parce qu’un changement de situation a été déclaré en retard. La CAF le récupère en retenant une partie des prestations suivantes.

- **Contester** : la personne écrit dans les **deux mois** à la commission de recours amiable de la CAF, avec ses justificatifs ;
- **payer en plusieurs fois** : elle demande un échéancier depuis son espace [caf.fr](https://www.caf.fr) ou par courrier ;
- **demander une remise de dette** en cas de difficultés financières, en expliquant sa situation.

La notification de dette indique le montant, la période et le motif : il faut la joindre à toute demande.`,
  },
  {
    key: 'aah', org: 'caf', by: 'referent@caf36.demo', themes: ['aides-caf'],
    title: 'Allocation aux adultes handicapés (AAH)',
    body: `L’**AAH** assure un revenu minimum aux personnes en situation de handicap. Le droit est reconnu par la **MDPH de l’Indre** (maison départementale des personnes handicapées), puis la CAF la verse.

1. Remplir le formulaire de demande MDPH avec le certificat médical (moins d’un an) ;
2. la commission des droits et de l’autonomie (CDAPH) fixe le taux d’incapacité ;
3. la CAF calcule le montant selon les ressources ; depuis 2023, les revenus du conjoint ne comptent plus.`,
  },
  // ---------------------------------------------------------------- Préfecture
  {
    key: 'carte-grise-adresse', org: 'prefecture', by: 'referent@prefecture36.demo', themes: ['carte-grise-permis'],
    title: 'Carte grise : changer l’adresse après un déménagement',
    body: `Après un déménagement, le titulaire d’une carte grise (certificat d’immatriculation) doit déclarer sa nouvelle adresse **dans le mois**, sinon il s’expose à une amende.

- La démarche est **gratuite** et se fait uniquement en ligne sur le site de l’ANTS : [immatriculation.ants.gouv.fr](https://immatriculation.ants.gouv.fr) ;
- pour une immatriculation au format AA-123-AA, une **étiquette** à coller sur la carte grise est envoyée par courrier (jusqu’à trois changements) ; au quatrième, une nouvelle carte grise est éditée ;
- la mairie ne délivre plus les cartes grises : sans ordinateur, la personne peut être aidée dans une maison France services ou au point numérique de la préfecture.`,
  },
  {
    key: 'carte-grise-occasion', org: 'prefecture', by: 'referent@prefecture36.demo', themes: ['carte-grise-permis'],
    title: 'Acheter un véhicule d’occasion : faire la carte grise à son nom',
    body: `L’acheteur d’un véhicule d’occasion a **un mois** pour faire établir la carte grise à son nom (changement de titulaire).

Le vendeur lui remet :
- l’ancienne carte grise barrée avec la mention « vendu le … », datée et signée ;
- le **certificat de cession** et le **code de cession** déclarés en ligne ;
- un contrôle technique de moins de six mois pour une voiture de plus de quatre ans.

La demande se fait sur le site de l’ANTS ; la taxe régionale dépend de la puissance fiscale du véhicule. Le **certificat de situation administrative** (non-gage) se télécharge gratuitement sur [HistoVec](https://histovec.interieur.gouv.fr).`,
  },
  {
    key: 'permis-perdu', org: 'prefecture', by: 'referent@prefecture36.demo', themes: ['carte-grise-permis'],
    title: 'Permis de conduire perdu, volé ou abîmé : demander un duplicata',
    body: `- **Perte** : la déclaration de perte et la demande de nouveau permis se font **en même temps**, en ligne sur [permisdeconduire.ants.gouv.fr](https://permisdeconduire.ants.gouv.fr) ;
- **vol** : déclarer d’abord le vol à la gendarmerie ou au commissariat, puis faire la demande en ligne avec le récépissé ;
- **permis abîmé** : demande en ligne également.

Il faut une photo-signature numérique (cabine agréée), un justificatif de domicile et un **timbre fiscal** (sauf pour un vol). En attendant le nouveau titre, le récépissé permet de conduire.`,
  },
  {
    key: 'permis-etranger', org: 'prefecture', by: 'referent@prefecture36.demo', themes: ['carte-grise-permis'],
    title: 'Échanger un permis de conduire étranger contre un permis français',
    body: `Une personne qui s’installe en France avec un permis obtenu hors de l’Union européenne doit demander l’échange **dans l’année** qui suit l’acquisition de sa résidence normale en France ; passé ce délai, le permis n’est plus reconnu.

- L’échange n’est possible qu’avec les pays qui ont un accord de réciprocité avec la France ;
- la demande se fait en ligne sur le site de l’ANTS, avec une traduction officielle du permis si nécessaire ;
- un permis d’un pays de l’Union européenne reste valable, l’échange est facultatif.`,
  },
  {
    key: 'cni', org: 'prefecture', by: 'referent@prefecture36.demo', themes: ['etat-civil'],
    title: 'Carte nationale d’identité : première demande ou renouvellement',
    body: `La demande de **carte d’identité** se dépose dans une mairie équipée d’un dispositif de recueil (dans l’Indre : Châteauroux, Issoudun, Le Blanc, La Châtre, Argenton-sur-Creuse, Buzançais, Valençay…), **sur rendez-vous**, quel que soit le domicile.

1. Faire une **pré-demande en ligne** sur [ants.gouv.fr](https://ants.gouv.fr) et noter son numéro ;
2. prendre rendez-vous dans une mairie équipée ;
3. apporter la photo d’identité, un justificatif de domicile, l’ancienne carte.

La carte est **gratuite**, sauf en cas de perte ou de vol (timbre fiscal). Les délais s’allongent avant l’été : il vaut mieux anticiper.`,
  },
  {
    key: 'passeport', org: 'prefecture', by: 'referent@prefecture36.demo', themes: ['etat-civil'],
    title: 'Passeport : la demande et les délais',
    body: `Le **passeport** se demande comme la carte d’identité, dans une mairie équipée d’un dispositif de recueil et sur rendez-vous.

- pré-demande en ligne sur [ants.gouv.fr](https://ants.gouv.fr) ;
- un **timbre fiscal** est obligatoire (montant différent pour un majeur, un mineur de 15 ans et plus, un enfant de moins de 15 ans), achetable en ligne ;
- le délai de fabrication varie selon la saison : plusieurs semaines au printemps. Le suivi se fait sur le site de l’ANTS.`,
  },
  // ---------------------------------------------------------------- Mission TIC: état civil and everyday questions
  {
    key: 'acte-naissance', org: 'tic', by: 'tic@indre.demo', themes: ['etat-civil'],
    title: 'Obtenir une copie ou un extrait d’acte de naissance',
    body: `L’acte de naissance se demande à la **mairie du lieu de naissance**, gratuitement, au guichet, par courrier ou en ligne sur [service-public.fr](https://www.service-public.fr).

- **Copie intégrale** : réservée à la personne, ses parents, ses enfants, son conjoint ;
- **extrait avec filiation** : mêmes personnes ;
- **extrait sans filiation** : toute personne peut le demander.

Pour une personne née à l’étranger, l’acte est délivré par le **Service central d’état civil** à Nantes. Beaucoup de démarches (carte d’identité, passeport) n’en demandent plus si la commune de naissance est reliée à COMEDEC.`,
  },
  {
    key: 'mariage', org: 'tic', by: 'tic@indre.demo', themes: ['etat-civil'],
    title: 'Se marier en mairie : le dossier de mariage',
    body: `Le mariage est célébré dans la commune où l’un des futurs époux (ou l’un de leurs parents) a son domicile ou sa résidence depuis au moins un mois.

Le dossier, à retirer et déposer à la mairie, comprend :
- les pièces d’identité et un justificatif de domicile ;
- un extrait d’acte de naissance de moins de trois mois ;
- la liste des témoins (deux à quatre) ;
- le cas échéant, le certificat du notaire pour le contrat de mariage.

La mairie publie les **bans** pendant dix jours avant la célébration. Une audition des futurs époux peut être demandée.`,
  },
  {
    key: 'pacs', org: 'tic', by: 'tic@indre.demo', themes: ['etat-civil'],
    title: 'Conclure un Pacs en mairie ou chez un notaire',
    body: `Le **pacte civil de solidarité (Pacs)** s’enregistre à la mairie de la commune où les partenaires fixent leur résidence commune, ou chez un notaire.

1. Rédiger la convention de Pacs (modèle Cerfa possible) ;
2. prendre rendez-vous à la mairie avec la déclaration conjointe, les pièces d’identité et les actes de naissance de moins de trois mois ;
3. l’officier d’état civil enregistre le Pacs ; la mention figure ensuite en marge de l’acte de naissance.

La dissolution se déclare aussi à la mairie qui l’a enregistré.`,
  },
  {
    key: 'reconnaissance', org: 'tic', by: 'tic@indre.demo', themes: ['etat-civil'],
    title: 'Reconnaître un enfant avant sa naissance',
    body: `Un parent non marié peut **reconnaître son enfant** avant la naissance, dans **n’importe quelle mairie**, sans rendez-vous le plus souvent.

Il suffit d’une pièce d’identité et d’un justificatif de domicile de moins de trois mois. L’acte de reconnaissance est remis tout de suite ; il faut le présenter lors de la déclaration de naissance. La reconnaissance peut aussi se faire au moment de la déclaration de naissance ou après.`,
  },
  {
    key: 'recensement', org: 'tic', by: 'tic@indre.demo', themes: ['autre', 'etat-civil'],
    title: 'Recensement citoyen à 16 ans',
    body: `Tout jeune Français doit se faire **recenser entre ses 16 ans et la fin du troisième mois** qui suit, à la mairie de son domicile ou en ligne sur [service-public.fr](https://www.service-public.fr).

- Il présente sa pièce d’identité et le livret de famille ;
- la mairie remet une **attestation de recensement**, à garder : elle est demandée pour s’inscrire au baccalauréat ou au permis de conduire avant 18 ans ;
- le recensement permet la convocation à la journée défense et citoyenneté (JDC) et l’inscription d’office sur les listes électorales à 18 ans.`,
  },
  {
    key: 'inscription-listes', org: 'tic', by: 'tic@indre.demo', themes: ['autre', 'etat-civil'],
    title: 'S’inscrire sur les listes électorales',
    body: `L’inscription sur les listes électorales se fait en ligne sur [service-public.fr](https://www.service-public.fr) ou à la mairie, avec une pièce d’identité et un justificatif de domicile.

- Pour voter à une élection, il faut s’inscrire au plus tard le **sixième vendredi** avant le scrutin ;
- un jeune recensé à 16 ans est inscrit d’office à 18 ans ;
- après un déménagement, il faut se réinscrire dans la nouvelle commune. Chacun peut vérifier sa situation électorale en ligne.`,
  },
  {
    key: 'france-services', org: 'tic', by: 'tic@indre.demo', themes: ['autre'],
    title: 'Les maisons France services de l’Indre : s’y faire aider pour une démarche en ligne',
    body: `Les **maisons France services** (anciennes maisons de services au public) accompagnent gratuitement les habitants pour les démarches en ligne : CAF, impôts, ANTS, assurance maladie, retraite, France Travail.

Dans le réseau Relais : **Aigurande**, **Valençay** et **Vatan**. Les agents aident à créer un compte, numériser un justificatif, suivre un dossier. Des partenaires y tiennent des **permanences** (CAF, CPAM) : la secrétaire peut proposer un rendez-vous plutôt qu’une saisine quand la personne a besoin d’être accompagnée.`,
  },
  // ---------------------------------------------------------------- DDT: urbanisme and water
  {
    key: 'declaration-prealable', org: 'ddt', by: 'referent@ddt36.demo', themes: ['urbanisme'],
    title: 'Déclaration préalable de travaux : abri de jardin, clôture, piscine, véranda',
    body: `Les petits travaux demandent une **déclaration préalable** (DP) déposée à la mairie du terrain, ou en ligne sur le guichet numérique des autorisations d’urbanisme.

Exemples courants :
- **abri de jardin**, véranda ou extension de **5 à 20 m²** (jusqu’à 40 m² en zone urbaine d’un PLU) ;
- **piscine** non couverte de 10 à 100 m² ;
- **clôture**, si la commune l’impose, et ravalement en secteur protégé ;
- changement de fenêtres ou de toiture qui modifie l’aspect extérieur.

Formulaire **Cerfa n° 13703** pour une maison individuelle. Le délai d’instruction est d’**un mois** (deux mois en secteur protégé). Sans réponse dans le délai, l’autorisation est tacite.`,
  },
  {
    key: 'permis-construire', org: 'ddt', by: 'referent@ddt36.demo', themes: ['urbanisme'],
    title: 'Permis de construire une maison individuelle',
    body: `Une construction nouvelle ou une extension de **plus de 20 m²** (40 m² en zone urbaine d’un PLU) demande un **permis de construire**.

- Formulaire **Cerfa n° 13406**, déposé à la mairie du terrain ou en ligne ;
- le recours à un **architecte** est obligatoire au-delà de 150 m² de surface de plancher ;
- délai d’instruction : **deux mois** pour une maison individuelle ;
- une fois accordé, le permis est **affiché sur le terrain** pendant toute la durée du chantier ; les tiers ont deux mois pour le contester.

La mairie transmet le dossier au service instructeur ; la DDT conseille les communes sans service d’urbanisme.`,
  },
  {
    key: 'certificat-urbanisme', org: 'ddt', by: 'referent@ddt36.demo', themes: ['urbanisme'],
    title: 'Certificat d’urbanisme : savoir si un terrain est constructible',
    body: `Avant d’acheter un terrain, le **certificat d’urbanisme** (CU) indique les règles qui s’y appliquent.

- **CU d’information** : règles d’urbanisme, taxes, servitudes ; délai d’un mois ;
- **CU opérationnel** : dit si le projet précis (une maison, par exemple) est réalisable et si les réseaux (eau, électricité, voirie) desservent le terrain ; délai de deux mois.

La demande est **gratuite**, Cerfa n° 13410, déposée en mairie. Le certificat garantit les règles pendant 18 mois.`,
  },
  {
    key: 'plu-issoudun', org: 'ddt', by: 'referent@ddt36.demo', themes: ['urbanisme'],
    title: 'Issoudun : consulter le plan local d’urbanisme',
    territory: { kind: 'commune', codes: ['36088'] },
    body: `À Issoudun, le **plan local d’urbanisme (PLU)** fixe les zones constructibles et les règles de hauteur, d’implantation et d’aspect des constructions.

Il se consulte au service urbanisme de la mairie d’Issoudun et en ligne sur le [Géoportail de l’urbanisme](https://www.geoportail-urbanisme.gouv.fr). Les demandes de permis de construire sur la commune sont instruites par la DDT, référente pour cette commune dans Relais.`,
  },
  {
    key: 'spanc', org: 'ddt', by: 'referent@ddt36.demo', themes: ['eau-assainissement'],
    title: 'Assainissement individuel (fosse septique) : contrôle du SPANC et mise aux normes',
    body: `Une maison non raccordée au tout-à-l’égout a un **assainissement non collectif** (fosse septique, fosse toutes eaux, micro-station), contrôlé par le **SPANC** de la communauté de communes.

- Contrôle **périodique**, au plus tous les dix ans ;
- à la **vente** de la maison, le diagnostic doit dater de moins de trois ans ; l’acheteur a **un an** pour faire les travaux de mise aux normes demandés ;
- une installation neuve se fait sur avis du SPANC, joint à la demande de permis de construire.

Des aides aux travaux peuvent exister : l’Agence de l’eau et la communauté de communes renseignent.`,
  },
  {
    key: 'forage', org: 'ddt', by: 'referent@ddt36.demo', themes: ['eau-assainissement'],
    title: 'Puits ou forage domestique : la déclaration en mairie',
    body: `Creuser un **puits ou un forage** pour l’usage de la famille (arrosage, eau domestique) doit être **déclaré en mairie** au moins un mois avant les travaux, puis après les travaux (Cerfa n° 13837).

- Usage domestique : jusqu’à 1 000 m³ par an ;
- si l’eau est utilisée dans la maison, le réseau doit être séparé du réseau public et la qualité de l’eau analysée ;
- en période de sécheresse, les arrêtés préfectoraux de restriction s’appliquent aussi aux puits.`,
  },
  {
    key: 'eau-chateauroux', org: 'ddt', by: 'referent@ddt36.demo', themes: ['eau-assainissement'],
    title: 'Châteauroux Métropole : ouvrir ou résilier un abonnement d’eau',
    territory: { kind: 'epci', codes: ['243600327'] },
    body: `Dans les communes de **Châteauroux Métropole** (dont Ardentes), l’eau et l’assainissement collectif relèvent de la communauté d’agglomération.

Pour un emménagement ou un départ, l’abonné contacte le service de l’eau de l’agglomération avec le relevé du compteur et la date d’entrée ou de sortie. Une fuite après compteur se signale au même service ; une facture anormalement élevée peut donner droit à un écrêtement si la fuite est réparée.`,
  },
  // ---------------------------------------------------------------- OPAC: social housing
  {
    key: 'demande-logement-social', org: 'opac', by: 'referent@opac36.demo', themes: ['logement-social'],
    title: 'Demander un logement social (HLM) et renouveler sa demande',
    body: `Une seule demande suffit pour tous les bailleurs sociaux du département (OPAC de l’Indre, Scalis…).

1. Remplir la demande en ligne sur [demande-logement-social.gouv.fr](https://www.demande-logement-social.gouv.fr), ou le formulaire **Cerfa n° 14069** déposé chez un bailleur ;
2. la demande reçoit un **numéro unique départemental**, à garder ;
3. elle est valable **un an** et doit être **renouvelée** chaque année, sinon elle est radiée.

Les ressources, la composition du foyer et l’urgence de la situation comptent dans l’attribution, décidée par la commission d’attribution du bailleur.`,
  },
  {
    key: 'panne-logement', org: 'opac', by: 'referent@opac36.demo', themes: ['logement-social'],
    title: 'Locataire de l’OPAC : signaler une panne ou un problème dans le logement',
    body: `Le locataire signale une panne (chauffage, eau chaude, ascenseur, infiltration) à son **agence OPAC** par téléphone ou sur son espace locataire.

- **En dehors des heures d’ouverture**, pour une urgence (fuite importante, panne de chauffage en hiver), un numéro d’**astreinte** est indiqué dans le hall et sur l’avis d’échéance ;
- les petites réparations sont à la charge du locataire (joints, ampoules), les grosses réparations à celle du bailleur ;
- pour l’humidité ou les moisissures, l’OPAC peut faire une visite technique.`,
  },
  {
    key: 'mutation-logement', org: 'opac', by: 'referent@opac36.demo', themes: ['logement-social'],
    title: 'Changer de logement social (demande de mutation)',
    body: `Un locataire HLM qui veut changer de logement (famille qui s’agrandit, logement devenu trop grand, handicap, rapprochement du travail) fait une **demande de mutation**.

C’est une demande de logement social ordinaire, faite en ligne ou à l’agence, en précisant qu’il est déjà locataire. Un logement trop grand après le départ des enfants peut être échangé en priorité ; l’OPAC peut aider au déménagement dans certains cas.`,
  },
  // ---------------------------------------------------------------- CPAM
  {
    key: 'carte-vitale', org: 'cpam', by: 'referent@cpam36.demo', themes: ['assurance-maladie'],
    title: 'Carte Vitale perdue, volée ou abîmée : en commander une nouvelle',
    body: `La nouvelle **carte Vitale** se commande depuis le compte [ameli.fr](https://www.ameli.fr), rubrique « Mes démarches » : la perte ou le vol se déclare en même temps.

- Il faut une **photo d’identité** et la copie d’une pièce d’identité, à télécharger ;
- la carte arrive par courrier en deux à trois semaines ;
- en attendant, l’**attestation de droits** téléchargeable sur ameli permet de se faire rembourser ;
- l’application carte Vitale peut aussi être activée sur smartphone.

Sans compte ameli, la personne peut être aidée dans une maison France services ou à l’accueil de la CPAM de l’Indre.`,
  },
  {
    key: 'c2s', org: 'cpam', by: 'referent@cpam36.demo', themes: ['assurance-maladie'],
    title: 'Complémentaire santé solidaire (C2S) : une mutuelle gratuite ou à petit prix',
    body: `La **complémentaire santé solidaire** remplace la CMU-C et l’ACS : elle joue le rôle d’une **mutuelle** pour les personnes aux revenus modestes.

- Selon les ressources, elle est **gratuite** ou coûte moins d’un euro par jour et par personne ;
- elle couvre la plupart des soins sans avance de frais, les lunettes et prothèses dentaires du panier 100 % santé ;
- la demande se fait sur [ameli.fr](https://www.ameli.fr) ; elle est attribuée automatiquement aux bénéficiaires du RSA qui la demandent.`,
  },
  {
    key: 'medecin-traitant', org: 'cpam', by: 'referent@cpam36.demo', themes: ['assurance-maladie'],
    title: 'Déclarer ou changer de médecin traitant',
    body: `Chaque assuré de plus de 16 ans déclare un **médecin traitant** : sans lui, les consultations sont moins bien remboursées.

- Le médecin fait la déclaration **en ligne** pendant la consultation, avec la carte Vitale ;
- pour **changer**, il suffit de faire la même déclaration avec le nouveau médecin ;
- faute de médecin disponible, la CPAM de l’Indre peut aider à en trouver un : la personne le signale sur son compte ameli.`,
  },
  {
    key: 'arret-travail', org: 'cpam', by: 'referent@cpam36.demo', themes: ['assurance-maladie'],
    title: 'Arrêt de travail (arrêt maladie) : l’envoyer et être indemnisé',
    body: `En cas d’**arrêt maladie**, le salarié envoie l’avis d’arrêt de travail **dans les 48 heures** :
- volets 1 et 2 à la CPAM (le médecin le transmet souvent en ligne) ;
- volet 3 à l’employeur.

Les **indemnités journalières** sont versées après un délai de carence de trois jours, sur la base de l’attestation de salaire envoyée par l’employeur. Le suivi des paiements se fait sur [ameli.fr](https://www.ameli.fr).`,
  },
  // ---------------------------------------------------------------- Région: school transport
  {
    key: 'transport-scolaire', org: 'region', by: 'referent@region.demo', themes: ['transports-scolaires'],
    title: 'Transport scolaire : inscrire un élève au car et obtenir sa carte',
    body: `Les cars scolaires de l’Indre sont organisés par la **Région Centre-Val de Loire** (réseau Rémi).

1. L’inscription se fait **en ligne** sur le site de Rémi, de préférence **avant la mi-juillet** pour la rentrée ;
2. la **carte de transport** est envoyée au domicile ou remise à l’établissement ;
3. une inscription tardive reste possible, mais la carte peut arriver après la rentrée.

Pour un arrêt de bus nouveau ou un élève qui habite loin d’un arrêt, la famille fait une demande à la Région, qui étudie l’itinéraire.`,
  },
  {
    key: 'transport-scolaire-changement', org: 'region', by: 'referent@region.demo', themes: ['transports-scolaires'],
    title: 'Transport scolaire : déménagement, garde alternée ou carte perdue',
    body: `- **Déménagement** en cours d’année : modifier l’adresse dans le compte Rémi ; une nouvelle carte est éditée si le trajet change ;
- **garde alternée** : l’élève peut avoir deux trajets, un par domicile ; les deux parents font la demande ;
- **carte perdue ou abîmée** : un duplicata se commande en ligne.

Un élève sans carte peut se voir refuser l’accès au car : la famille garde l’attestation d’inscription en attendant.`,
  },
  // ---------------------------------------------------------------- a draft and a stale one
  {
    key: 'aide-vacances-brouillon', org: 'caf', by: 'referent@caf36.demo', themes: ['aides-caf'], draft: true,
    title: 'Aides aux vacances des familles (brouillon)',
    body: `Fiche en cours de rédaction : les aides aux vacances (VACAF) pour les familles allocataires.`,
  },
  {
    key: 'cheque-energie', org: 'tic', by: 'tic@indre.demo', themes: ['autre'], stale: true,
    title: 'Chèque énergie : le recevoir et l’utiliser',
    body: `Le **chèque énergie** aide les ménages aux revenus modestes à payer leurs factures d’énergie (électricité, gaz, fioul, bois). Il est envoyé **automatiquement** au printemps, d’après la déclaration de revenus : il faut donc avoir déclaré ses revenus, même faibles.

Il se paie en ligne sur [chequeenergie.gouv.fr](https://chequeenergie.gouv.fr) ou s’envoie au fournisseur.`,
  },
]

export const CHER_FICHES: DemoFiche[] = [
  {
    key: 'apl-etudiant', org: 'caf', by: 'referent@caf18.demo', themes: ['aides-caf', 'logement-social'],
    title: 'APL étudiant : les étudiants de Bourges',
    body: `Les étudiants logés à Bourges (résidences du CROUS, logements privés) demandent l’**aide au logement** sur [caf.fr](https://www.caf.fr), avec leur bail à leur nom.`,
  },
  {
    key: 'carte-grise-adresse', org: 'prefecture', by: 'referent@prefecture18.demo', themes: ['carte-grise-permis'],
    title: 'Carte grise et déménagement dans le Cher',
    body: `Le changement d’adresse sur la carte grise se fait en ligne sur le site de l’ANTS, gratuitement, dans le mois qui suit le déménagement.`,
  },
  {
    key: 'rsa', org: 'caf', by: 'referent@caf18.demo', themes: ['rsa-insertion'],
    title: 'RSA dans le Cher : la demande',
    body: `La demande de **RSA** se fait sur [caf.fr](https://www.caf.fr) ; le Conseil départemental du Cher organise l’accompagnement.`,
  },
]

export const DEMO_FICHES: Record<string, DemoFiche[]> = { '36': INDRE_FICHES, '18': CHER_FICHES }

/** Loads a tenant's demo fiches as the owner (inside the seed's transaction), published (version 1) unless marked draft. */
export async function seedFiches(trx: Kysely<Database>, tenantId: string, fiches: DemoFiche[], ids: { orgs: Map<string, string>; themes: Map<string, string>; people: Map<string, string> }, now: Date): Promise<number> {
  const day = (months: number) => new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth() + months, now.getUTCDate())).toISOString().slice(0, 10)
  for (const f of fiches) {
    const organisation_id = ids.orgs.get(f.org)
    const person = ids.people.get(f.by) ?? null
    if (!organisation_id) throw new Error(`seed: unknown organisation ${f.org}`)
    const territory = f.territory ?? { kind: 'departement' as const, codes: [] }
    const published = !f.draft
    const row = await trx.insertInto('fiche').values({
      tenant_id: tenantId, organisation_id, title: f.title, body: f.body, territory_kind: territory.kind, territory_codes: territory.codes,
      review_by: f.stale ? day(-2) : day(12), created_by_person_id: person, updated_by_person_id: person, created_at: now, updated_at: now,
      ...(published ? { status: 'published' as const, version: 1, published_title: f.title, published_text: markdownToText(f.body), published_at: now } : {}),
    }).returning('id').executeTakeFirstOrThrow()
    await trx.insertInto('fiche_theme').values(f.themes.map((code) => {
      const theme_id = ids.themes.get(code)
      if (!theme_id) throw new Error(`seed: unknown theme ${code}`)
      return { tenant_id: tenantId, fiche_id: row.id, theme_id }
    })).execute()
    if (published) {
      await trx.insertInto('fiche_version').values({
        tenant_id: tenantId, fiche_id: row.id, version: 1, title: f.title, body: f.body, theme_codes: f.themes,
        territory_kind: territory.kind, territory_codes: territory.codes, published_by_person_id: person, published_at: now,
      }).execute()
    }
  }
  return fiches.length
}
