"""Data in and out: spreadsheet import, table exports, database dump, IATI and 360Giving."""
