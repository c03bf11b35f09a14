package io.sessionflow.language.pseudonym;

/** The personal identifiers replaced before anything is stored or analysed (HIPAA Safe Harbor's, for speech). */
public enum IdentifierKind {
  PERSON, PHONE, EMAIL, ADDRESS, DATE, AGE, ID, URL
}
