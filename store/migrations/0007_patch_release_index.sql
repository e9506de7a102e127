-- 0007: cadence reads one vendor's patches released in a window; this index
-- answers that with a range scan instead of every patch of the vendor.
CREATE INDEX patches_vendor_released ON patches (vendor, released);
