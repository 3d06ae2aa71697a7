"""E-invoices (#17): Peppol BIS 3.0 / OIOUBL invoices and credit notes from final statements."""
